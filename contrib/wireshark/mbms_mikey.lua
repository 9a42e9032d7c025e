-- mbms_mikey.lua — Wireshark/tshark plugin for the mbmssec MIKEY messages
-- (3GPP TS 33.246 MBMS security, profile in shared/spec/PROFILE.md 4-5).
--
-- What it adds to Wireshark's own MIKEY dissector:
--   * MIKEY on UDP 4359 (MSK messages to the UE) and 2269 (MTK messages),
--     so no "-d udp.port==4359,mikey" is needed;
--   * a post-dissector that decodes the Key ID extension (EXT payload type 2,
--     RFC 4563) which Wireshark 4.0 shows as "Unknown": key ID type(1) |
--     key ID len(2) | key ID, with key ID = Key Domain ID(3) || MSK ID(4)
--     for an MSK and || MTK ID(2) more for an MTK; MSK ID = Key Group(2) ||
--     Key Number(2); Key Domain ID = MCC||MNC in the TS 24.008 PLMN BCD
--     layout;
--   * the HDR's CS ID map type 1 named "empty map (RFC 4563)".
--
-- Install: copy this file to ~/.local/lib/wireshark/plugins/ (Wireshark
-- >= 3.6; older: ~/.wireshark/plugins/), or load it once with
--   tshark -X lua_script:mbms_mikey.lua -r capture.pcap
-- Display filters: mbms_mikey, mbms_mikey.key_id_type == 2,
-- mbms_mikey.msk_id == 0x01020001, mbms_mikey.mcc == "001", ...
--
-- Written for Wireshark 4.0 (Lua 5.2); uses no bit library, so it also runs
-- under the Lua 5.4 of newer Wireshark releases.

if set_plugin_info then
	set_plugin_info({
		version = "0.1.0",
		description = "MBMS (TS 33.246) Key ID extension and ports for MIKEY",
		repository = "mbmssec contrib/wireshark",
	})
end

local UDP_PORT_MSK = 4359 -- PROFILE 5.2: MSK messages and triggers to the UE
local UDP_PORT_MTK = 2269 -- PROFILE 5.5: MTK messages (also Wireshark's default)
local EXT_TYPE_KEY_ID = 2 -- RFC 4563
local KEY_ID_TYPE_MUK, KEY_ID_TYPE_MSK, KEY_ID_TYPE_MTK = 0, 1, 2
local MSK_KEY_ID_LEN, MTK_KEY_ID_LEN = 7, 9

local proto = Proto("mbms_mikey", "MBMS MIKEY (TS 33.246 Key ID)")

local key_id_types = {
	[KEY_ID_TYPE_MUK] = "MUK",
	[KEY_ID_TYPE_MSK] = "MSK",
	[KEY_ID_TYPE_MTK] = "MTK",
}
local cs_id_map_types = {
	[0] = "SRTP-ID (RFC 3830)",
	[1] = "empty map (RFC 4563)",
	[2] = "GENERIC-ID (RFC 6043)",
}

local pf = {
	cs_id_map_type = ProtoField.uint8("mbms_mikey.cs_id_map_type", "CS ID map type",
		base.DEC, cs_id_map_types),
	key_id = ProtoField.bytes("mbms_mikey.key_id", "MBMS Key ID"),
	key_id_type = ProtoField.uint8("mbms_mikey.key_id_type", "Key ID type", base.DEC,
		key_id_types),
	key_id_len = ProtoField.uint16("mbms_mikey.key_id_len", "Key ID length", base.DEC),
	key_domain = ProtoField.bytes("mbms_mikey.key_domain", "Key Domain ID"),
	mcc = ProtoField.string("mbms_mikey.mcc", "MCC"),
	mnc = ProtoField.string("mbms_mikey.mnc", "MNC"),
	msk_id = ProtoField.uint32("mbms_mikey.msk_id", "MSK ID", base.HEX),
	key_group = ProtoField.uint16("mbms_mikey.key_group", "Key Group", base.DEC),
	key_number = ProtoField.uint16("mbms_mikey.key_number", "Key Number", base.DEC),
	mtk_id = ProtoField.uint16("mbms_mikey.mtk_id", "MTK ID", base.DEC),
	key_id_raw = ProtoField.bytes("mbms_mikey.key_id_raw", "Key ID"),
}
proto.fields = {
	pf.cs_id_map_type, pf.key_id, pf.key_id_type, pf.key_id_len, pf.key_domain, pf.mcc,
	pf.mnc, pf.msk_id, pf.key_group, pf.key_number, pf.mtk_id, pf.key_id_raw,
}

local ex = {
	truncated = ProtoExpert.new("mbms_mikey.truncated", "Key ID extension truncated",
		expert.group.MALFORMED, expert.severity.ERROR),
	bad_len = ProtoExpert.new("mbms_mikey.bad_len",
		"Key ID length does not fit the key ID type (MSK 7, MTK 9)",
		expert.group.MALFORMED, expert.severity.ERROR),
	trailing = ProtoExpert.new("mbms_mikey.trailing", "bytes after the key ID",
		expert.group.MALFORMED, expert.severity.ERROR),
	bad_bcd = ProtoExpert.new("mbms_mikey.bad_bcd", "Key Domain ID is not a PLMN BCD code",
		expert.group.PROTOCOL, expert.severity.WARN),
	key_number_zero = ProtoExpert.new("mbms_mikey.key_number_zero",
		"Key Number 0: the current MSK of the Key Group (solicited-pull trigger)",
		expert.group.SEQUENCE, expert.severity.NOTE),
}
proto.experts = { ex.truncated, ex.bad_len, ex.trailing, ex.bad_bcd, ex.key_number_zero }

-- Fields of Wireshark's MIKEY dissector that we read back. Creating the
-- extractors here also makes Wireshark build these items when no GUI tree
-- is shown (tshark -T fields).
local f_mikey = Field.new("mikey")
local f_ext = Field.new("mikey.ext")
local f_cs_id_map_type = Field.new("mikey.cs_id_map_type")

-- TS 24.008 PLMN BCD: MCC2 MCC1 | MNC3 MCC3 | MNC2 MNC1, MNC3 = F for a
-- two-digit MNC. Returns mcc, mnc strings or nil when a digit is not BCD.
local function plmn_decode(range)
	local b = { range(0, 1):uint(), range(1, 1):uint(), range(2, 1):uint() }
	local function lo(x) return x % 16 end
	local function hi(x) return math.floor(x / 16) end
	local mcc = { lo(b[1]), hi(b[1]), lo(b[2]) }
	local mnc = { lo(b[3]), hi(b[3]) }
	if hi(b[2]) ~= 15 then
		mnc[3] = hi(b[2])
	end
	for _, d in ipairs(mcc) do
		if d > 9 then return nil end
	end
	for _, d in ipairs(mnc) do
		if d > 9 then return nil end
	end
	return table.concat(mcc), table.concat(mnc)
end

-- One Key ID extension. ext is the whole EXT payload (next(1) | type(1) |
-- len(2) | data). Returns a short summary for the Info column, or nil.
local function dissect_key_id(ext, tree, pinfo)
	local data_len = ext(2, 2):uint()
	if ext:len() < 4 + data_len then
		tree:add_proto_expert_info(ex.truncated)
		return nil
	end
	local data = ext(4, data_len)
	local sub = tree:add(pf.key_id, data)
	if data_len < 3 then
		sub:add_proto_expert_info(ex.truncated)
		return nil
	end
	local key_id_type = data(0, 1):uint()
	local key_id_len = data(1, 2):uint()
	sub:add(pf.key_id_type, data(0, 1))
	sub:add(pf.key_id_len, data(1, 2))
	local type_name = key_id_types[key_id_type] or string.format("type %d", key_id_type)
	sub:set_text(string.format("MBMS Key ID: %s", type_name))
	if data_len < 3 + key_id_len then
		sub:add_proto_expert_info(ex.truncated)
		return nil
	end
	local key_id = data(3, key_id_len)
	if data_len > 3 + key_id_len then
		sub:add_proto_expert_info(ex.trailing)
	end
	local want = ({ [KEY_ID_TYPE_MSK] = MSK_KEY_ID_LEN, [KEY_ID_TYPE_MTK] = MTK_KEY_ID_LEN })[key_id_type]
	if not want or key_id_len ~= want then
		-- MUK (reserved here), unknown types, wrong lengths: bytes only
		local item = sub:add(pf.key_id_raw, key_id)
		if want then
			item:add_proto_expert_info(ex.bad_len)
		end
		return type_name
	end

	local kd = key_id(0, 3)
	local kd_item = sub:add(pf.key_domain, kd)
	local mcc, mnc = plmn_decode(kd)
	local plmn
	if mcc then
		plmn = mcc .. "-" .. mnc
		kd_item:append_text(string.format(" (MCC %s, MNC %s)", mcc, mnc))
		kd_item:add(pf.mcc, kd, mcc):set_generated()
		kd_item:add(pf.mnc, kd, mnc):set_generated()
	else
		plmn = tostring(kd:bytes())
		kd_item:add_proto_expert_info(ex.bad_bcd)
	end

	local msk = key_id(3, 4)
	local msk_item = sub:add(pf.msk_id, msk)
	msk_item:add(pf.key_group, msk(0, 2))
	local kn_item = msk_item:add(pf.key_number, msk(2, 2))
	if msk(2, 2):uint() == 0 then
		kn_item:add_proto_expert_info(ex.key_number_zero)
	end
	local summary = string.format("%s %s MSK 0x%08x", type_name, plmn, msk:uint())
	if key_id_type == KEY_ID_TYPE_MTK then
		local mtk = key_id(7, 2)
		sub:add(pf.mtk_id, mtk)
		summary = summary .. string.format(" MTK %d", mtk:uint())
	end
	sub:append_text(", " .. summary:sub(#type_name + 2))
	return summary
end

function proto.dissector(tvb, pinfo, tree)
	if not f_mikey() then
		return
	end
	local root = nil
	local function top()
		if not root then
			root = tree:add(proto)
		end
		return root
	end
	for _, fi in ipairs({ f_cs_id_map_type() }) do
		top():add(pf.cs_id_map_type, fi.range)
	end
	for _, fi in ipairs({ f_ext() }) do
		local ext = fi.range
		if ext and ext:len() >= 4 and ext(1, 1):uint() == EXT_TYPE_KEY_ID then
			local summary = dissect_key_id(ext, top(), pinfo)
			if summary then
				pinfo.cols.info:append(" [MBMS " .. summary .. "]")
			end
		end
	end
end

register_postdissector(proto)

-- The ports. Wireshark knows MIKEY on 2269 only; adding it again is harmless.
local ok, mikey = pcall(Dissector.get, "mikey")
if ok and mikey then
	local udp_port = DissectorTable.get("udp.port")
	udp_port:add(UDP_PORT_MSK, mikey)
	udp_port:add(UDP_PORT_MTK, mikey)
else
	report_failure("mbms_mikey.lua: this Wireshark has no MIKEY dissector")
end
