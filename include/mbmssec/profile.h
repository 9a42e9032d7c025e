/* mbmssec — every [PROFILE] choice of shared/spec/PROFILE.md, in one place.
 *
 * Each value below is this project's reading where the TS 33.246 text was
 * not available. Each carries a "PROFILE:" comment with the reason and is
 * listed in docs/profile.md. Changing one must be a one-line change here
 * plus test-vector updates. [STD] values live next to the code that uses
 * them, with the clause they come from.
 */
#ifndef MBMSSEC_PROFILE_H
#define MBMSSEC_PROFILE_H

/* PROFILE: (PROFILE.md 2) GBA_ME only: MRK = MUK = Ks_NAF, no further
 * derivation. MBMS_PROFILE_MRK_IS_KS_NAF documents the choice; the two
 * functions mbms_mrk_from_ks_naf() / mbms_muk_from_ks_naf() implement it. */
#define MBMS_PROFILE_MRK_IS_KS_NAF 1
#define MBMS_PROFILE_MUK_IS_KS_NAF 1

/* PROFILE: (PROFILE.md 2) MUK ID IDi = the BM-SC's NAF FQDN without the
 * 5-byte Ua security protocol identifier; IDr = B-TID. */
#define MBMS_PROFILE_IDI_IS_BARE_FQDN 1

/* PROFILE: (PROFILE.md 3) Key Domain ID coded as MCC||MNC in the TS 24.008
 * PLMN BCD layout (3 bytes). Implemented in mbms_key_domain_from_plmn(). */
#define MBMS_PROFILE_KEY_DOMAIN_PLMN_BCD 1

/* PROFILE: (PROFILE.md 3) MTK ID is 2 bytes. */
#define MBMS_PROFILE_MTK_ID_LEN 2

/* PROFILE: (PROFILE.md 4.1) a 32-bit COUNTER timestamp is right-aligned in
 * the 64-bit T of the AES-CM IV: IV = (salt||0x0000) xor
 * (0x0000||CSB ID||0x00000000||counter||0x0000). */
#define MBMS_PROFILE_COUNTER_RIGHT_ALIGNED 1

/* PROFILE: (PROFILE.md 5.1) Key ID extension = EXT type 2 (RFC 4563) with
 * data key ID type(1) | key ID len(2) | key ID. */
#define MBMS_PROFILE_EXT_KEY_ID_TYPE 2
#define MBMS_PROFILE_KEY_ID_TYPE_MUK 0 /* reserved here */
#define MBMS_PROFILE_KEY_ID_TYPE_MSK 1
#define MBMS_PROFILE_KEY_ID_TYPE_MTK 2

/* PROFILE: (PROFILE.md 4, 5.2-5.5) the RAND payload of every MBMS MIKEY
 * message carries exactly 16 bytes. */
#define MBMS_PROFILE_MIKEY_RAND_LEN 16

/* PROFILE: (PROFILE.md 5.1) key ID = Key Domain ID (3) || MSK ID (4) for an
 * MSK, || MTK ID (2) more for an MTK. */
#define MBMS_PROFILE_MSK_KEY_ID_LEN 7
#define MBMS_PROFILE_MTK_KEY_ID_LEN 9

/* PROFILE: (PROFILE.md 5.2) the MSK KEY carries KV interval with VF/VT the
 * lowest/highest MTK ID, 2 bytes each (= MBMS_PROFILE_MTK_ID_LEN). */
#define MBMS_PROFILE_MSK_VF_VT_LEN 2

/* PROFILE: (PROFILE.md 5.5) the MTK KEY carries KV SPI/MKI with
 * SPI = MSK ID (4) || MTK ID (2). */
#define MBMS_PROFILE_MTK_SPI_LEN 6

/* PROFILE: (PROFILE.md 5.2, 5.5) UDP ports: MSK messages to the UE on 4359,
 * MTK messages to the session destination on 2269. */
#define MBMS_PROFILE_UE_MIKEY_PORT 4359
#define MBMS_PROFILE_MTK_PORT 2269

/* PROFILE: (PROFILE.md 7) HTTP paths, XML namespace, media types, realm. */
#define MBMS_PROFILE_KM_PATH "/keymanagement"
#define MBMS_PROFILE_ANNOUNCEMENT_PATH "/announcement/"
#define MBMS_PROFILE_XML_NS "urn:3gpp:mbms:keymanagement:2026"
#define MBMS_PROFILE_REALM_PREFIX "3GPP-bootstrapping@"
#define MBMS_PROFILE_MAX_BODY (64 * 1024)

/* PROFILE: (PROFILE.md 10.14) extension header naming the UE's MIKEY port. */
#define MBMS_PROFILE_UE_PORT_HEADER "X-MBMS-UE-Port"

#endif
