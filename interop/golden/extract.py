#!/usr/bin/env python3
"""Turn a strongSwan capture (pcap + both charon logs) into golden test data.

Used by interop/golden/capture.sh; standard library only.

  extract.py case   --case NAME --pcap F --initiator-log F --responder-log F ...
      writes OUT_DIR/NAME.txt, NAME.initiator.log, NAME.responder.log
  extract.py readme --out-dir D --strongswan-version V --command C
      writes OUT_DIR/README.md (summarising the NAME.txt files found there)

What `case` does:
  * reads every UDP datagram on port 500/4500 from the pcap, in order;
  * parses charon's level-3/4 hex dumps ("label => N bytes @ 0x..." followed by
    "   0: 2A 3B ...  ascii" lines) into byte strings;
  * picks the IKE key derivations (keymat_v2: "shared Diffie Hellman secret",
    "SKEYSEED", "Sk_d secret", ...), the Child SA derivations ("DH secret",
    "seed", "encryption initiator key", ...), the PSK AUTH computation and the
    SK payload encryption/decryption dumps (IV, plain, padding) out of both
    logs and checks that initiator and responder logged the same values;
  * recomputes SKEYSEED, SK_*, the Child SA KEYMAT and both AUTH values from
    the nonces/SPIs in the captured messages with Python's hmac module, as an
    independent check of the parsing (results go into the file as comments);
  * trims the logs (drops the per-field ENC encoder/parser tracing and vici
    chatter) so they stay small.
"""

import argparse
import datetime
import glob
import hashlib
import hmac
import os
import re
import struct
import sys

# --------------------------------------------------------------------------
# pcap


def read_pcap(path):
    """Yield (ts, src_ip, dst_ip, sport, dport, udp_payload) for IPv4/UDP."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: not a pcap file" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError("%s: unknown pcap magic %s" % (path, magic.hex()))
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        if incl != orig:
            raise ValueError("truncated packet in pcap (snaplen too small)")
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:  # Ethernet
            etype = struct.unpack("!H", pkt[12:14])[0]
            l3 = pkt[14:]
            while etype == 0x8100:  # VLAN
                etype = struct.unpack("!H", l3[2:4])[0]
                l3 = l3[4:]
        elif linktype == 113:  # Linux cooked v1
            etype = struct.unpack("!H", pkt[14:16])[0]
            l3 = pkt[16:]
        elif linktype == 276:  # Linux cooked v2
            etype = struct.unpack("!H", pkt[0:2])[0]
            l3 = pkt[20:]
        elif linktype in (101, 12):  # raw IP
            etype = 0x0800
            l3 = pkt
        else:
            raise ValueError("unsupported pcap link type %d" % linktype)
        if etype != 0x0800 or len(l3) < 20 or l3[0] >> 4 != 4:
            continue
        ihl = (l3[0] & 0x0F) * 4
        total = struct.unpack("!H", l3[2:4])[0]
        frag = struct.unpack("!H", l3[6:8])[0]
        if l3[9] != 17:
            continue
        if frag & 0x3FFF:
            raise ValueError("IP fragment in capture: reassembly not implemented")
        ip = l3[:total]
        src = ".".join(str(b) for b in ip[12:16])
        dst = ".".join(str(b) for b in ip[16:20])
        udp = ip[ihl:]
        sport, dport, ulen = struct.unpack("!HHH", udp[:6])
        payload = udp[8:ulen]
        if len(payload) != ulen - 8:
            raise ValueError("short UDP datagram in capture")
        yield ts, src, dst, sport, dport, payload


# --------------------------------------------------------------------------
# charon log

LINE_RE = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d(?:\.\d+)?) (?P<thr>\d+)\[(?P<grp>[A-Z]{3})(?P<lvl>\d)\] "
    r"(?:<(?P<ike>[^>]*)> )?(?P<msg>.*)$")
DUMP_RE = re.compile(r"^(?P<label>.*?) ?=> (?P<n>\d+) bytes @ (?P<ptr>\S+)$")
HEXLINE_RE = re.compile(r"^\s*(?P<off>\d+): (?P<rest>.*)$")


class Rec(object):
    __slots__ = ("lineno", "end", "thr", "grp", "lvl", "ike", "msg", "label", "data")

    def __repr__(self):
        return "Rec(%d %s%d %r %s)" % (self.lineno, self.grp, self.lvl, self.label or self.msg,
                                       None if self.data is None else self.data.hex())


def parse_log(path):
    """Return (lines, records).  A record is one log entry; hex dumps
    ("label => N bytes @ ptr" plus continuation lines) carry .data."""
    with open(path, "r", errors="replace") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    recs = []
    pending = {}  # thread -> (rec, remaining)
    for i, line in enumerate(lines):
        m = LINE_RE.match(line)
        if not m:
            raise ValueError("%s:%d: unexpected log line: %r" % (path, i + 1, line))
        thr = m.group("thr")
        msg = m.group("msg")
        if thr in pending:
            rec, remaining = pending[thr]
            h = HEXLINE_RE.match(msg)
            if not h or int(h.group("off")) != len(rec.data):
                raise ValueError("%s:%d: expected hex dump line (offset %d) for %r"
                                 % (path, i + 1, len(rec.data), rec.label))
            k = min(16, remaining)
            area = h.group("rest")[:3 * k]
            toks = area.split()
            if len(toks) != k or any(not re.match(r"^[0-9A-F]{2}$", t) for t in toks):
                raise ValueError("%s:%d: bad hex dump line %r" % (path, i + 1, line))
            rec.data += bytes(int(t, 16) for t in toks)
            rec.end = i
            remaining -= k
            if remaining:
                pending[thr] = (rec, remaining)
            else:
                del pending[thr]
            continue
        rec = Rec()
        rec.lineno = i
        rec.end = i
        rec.thr = thr
        rec.grp = m.group("grp")
        rec.lvl = int(m.group("lvl"))
        rec.ike = m.group("ike")
        rec.msg = msg
        rec.label = None
        rec.data = None
        d = DUMP_RE.match(msg)
        if d:
            rec.label = d.group("label").strip()
            rec.data = b""
            n = int(d.group("n"))
            if n:
                pending[thr] = (rec, n)
        recs.append(rec)
    if pending:
        raise ValueError("%s: log ends inside a hex dump" % path)
    return lines, recs


IKE_KEY_LABELS = [
    ("shared Diffie Hellman secret", "dh_shared_secret"),
    ("SKEYSEED", "skeyseed"),
    ("Sk_d secret", "sk_d"),
    ("Sk_ai secret", "sk_ai"),
    ("Sk_ar secret", "sk_ar"),
    ("Sk_ei secret", "sk_ei"),
    ("Sk_er secret", "sk_er"),
    ("Sk_pi secret", "sk_pi"),
    ("Sk_pr secret", "sk_pr"),
]
CHILD_KEY_LABELS = [
    ("DH secret", "dh_shared_secret"),
    ("seed", "seed"),
    ("encryption initiator key", "encr_i"),
    ("encryption responder key", "encr_r"),
    ("integrity initiator key", "integ_i"),
    ("integrity responder key", "integ_r"),
]
AUTH_LABELS = [
    ("IDx'", "id"),
    ("SK_p", "sk_p"),
    ("octets = message + nonce + prf(Sk_px, IDx')", "octets"),
    ("secret", "psk"),
    ("prf(secret, keypad)", "prf_psk_keypad"),
    ("AUTH = prf(prf(secret, keypad), octets)", "value"),
]
SK_LABELS = ["IV", "plain", "padding", "assoc", "encrypted", "ICV"]


def collect_blocks(recs, start_pred, labels, grps):
    """Group consecutive dumps of one thread into dicts keyed by short name.
    A block starts at a record for which start_pred(rec) is true."""
    names = dict(labels)
    blocks = []
    open_blocks = {}  # thread -> block
    for r in recs:
        if r.grp not in grps:
            continue
        if start_pred(r):
            blk = {"_line": r.lineno + 1, "_thr": r.thr}
            open_blocks[r.thr] = blk
            blocks.append(blk)
        blk = open_blocks.get(r.thr)
        if blk is None or r.label is None or r.label not in names:
            continue
        key = names[r.label]
        if key in blk:  # a second value for the same label ends the block
            del open_blocks[r.thr]
            continue
        blk[key] = r.data
    return blocks


def ike_key_blocks(recs):
    return collect_blocks(
        recs, lambda r: r.grp == "IKE" and r.label == "shared Diffie Hellman secret",
        IKE_KEY_LABELS, ("IKE",))


def child_key_blocks(recs):
    # A derivation starts with "DH secret" (PFS) or, without PFS, with "seed".
    out = []
    cur = {}
    for r in recs:
        if r.grp != "CHD" or r.label is None:
            continue
        names = dict(CHILD_KEY_LABELS)
        if r.label not in names:
            continue
        key = names[r.label]
        blk = cur.get(r.thr)
        if key == "dh_shared_secret" or (key == "seed" and (blk is None or "seed" in blk)) \
                or blk is None or key in blk:
            blk = {"_line": r.lineno + 1, "_thr": r.thr}
            cur[r.thr] = blk
            out.append(blk)
        blk[key] = r.data
    return out


def auth_blocks(recs):
    return collect_blocks(recs, lambda r: r.grp == "IKE" and r.label == "IDx'",
                          AUTH_LABELS, ("IKE",))


def sk_blocks(recs):
    out = []
    cur = {}
    for r in recs:
        if r.grp != "ENC":
            continue
        if r.msg in ("encrypted payload encryption:", "encrypted payload decryption:"):
            blk = {"_line": r.lineno + 1, "_thr": r.thr, "op": r.msg.split()[2][:-1]}
            cur[r.thr] = blk
            out.append(blk)
            continue
        blk = cur.get(r.thr)
        if blk is not None and r.label in SK_LABELS and r.label not in blk:
            blk[r.label] = r.data
            if all(k in blk for k in SK_LABELS):
                del cur[r.thr]
    return out


ENC1_RE = re.compile(r"^(generating|parsed) (\S+) (request|response) (\d+) \[ ?(.*?) ?\]$")


def enc1_lines(recs):
    out = []
    for r in recs:
        if r.grp == "ENC" and r.lvl == 1:
            m = ENC1_RE.match(r.msg)
            if m:
                out.append({"op": m.group(1), "exchange": m.group(2), "kind": m.group(3),
                            "mid": int(m.group(4)), "payloads": m.group(5), "used": False})
    return out


def selected_proposals(recs):
    out = []
    for r in recs:
        if r.grp == "CFG" and r.msg.startswith("selected proposal: "):
            out.append(r.msg[len("selected proposal: "):])
    return out


CHILD_EST_RE = re.compile(
    r"^(?:(inbound|outbound) )?CHILD_SA (\S+) established with SPIs ([0-9a-f]{8})_i(?: \([^)]*\))? "
    r"([0-9a-f]{8})_o(?: \([^)]*\))? and TS (.*)$")


def child_established(recs):
    out = []
    for r in recs:
        if r.grp == "IKE" and r.lvl == 0:
            m = CHILD_EST_RE.match(r.msg)
            if m and m.group(1) != "outbound":
                out.append({"name": m.group(2), "spi_in": m.group(3), "spi_out": m.group(4),
                            "ts": m.group(5)})
    return out


# --------------------------------------------------------------------------
# IKEv2 message helpers

EXCHANGES = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}
PAYLOAD_SA, PAYLOAD_KE, PAYLOAD_IDI, PAYLOAD_IDR, PAYLOAD_NONCE, PAYLOAD_SK = 33, 34, 35, 36, 40, 46


def ike_header(ike):
    if len(ike) < 28:
        return None
    spi_i, spi_r, np, ver, exch, flags, mid, length = struct.unpack("!8s8sBBBBII", ike[:28])
    return {"spi_i": spi_i, "spi_r": spi_r, "np": np, "ver": ver, "exchange": exch,
            "flags": flags, "mid": mid, "length": length}


def walk_payloads(first, data):
    """Yield (type, body) for a chain of generic payloads; stops at SK."""
    np = first
    off = 0
    while np != 0 and off + 4 <= len(data):
        nxt, _crit, plen = struct.unpack("!BBH", data[off:off + 4])
        if plen < 4 or off + plen > len(data):
            raise ValueError("bad payload length")
        yield np, data[off + 4:off + plen]
        if np == PAYLOAD_SK:
            return
        np = nxt
        off += plen


def first_proposal_spi(sa_body):
    """(protocol id, SPI) of the first proposal in an SA payload body."""
    _last, _res, _plen, _num, proto, spisize, _nt = struct.unpack("!BBHBBBB", sa_body[:8])
    return proto, sa_body[8:8 + spisize]


def ike_part(payload, port):
    """IKE message inside a UDP payload, or None (ESP / keepalive)."""
    if port == 4500:
        if len(payload) >= 4 and payload[:4] == b"\0\0\0\0":
            return payload[4:]
        return None
    return payload


# --------------------------------------------------------------------------
# key schedule (RFC 7296) for the self-check

PRF_HASH = {"PRF_HMAC_SHA1": hashlib.sha1, "PRF_HMAC_SHA2_256": hashlib.sha256,
            "PRF_HMAC_SHA2_384": hashlib.sha384, "PRF_HMAC_SHA2_512": hashlib.sha512,
            "PRF_HMAC_MD5": hashlib.md5}


def prf(h, key, data):
    return hmac.new(key, data, h).digest()


def prf_plus(h, key, seed, n):
    out = b""
    t = b""
    i = 1
    while len(out) < n:
        t = prf(h, key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:n]


# --------------------------------------------------------------------------
# case extraction


class Case(object):
    def __init__(self, args):
        self.a = args
        self.checks = []   # (ok, text)
        self.notes = []

    def check(self, ok, text):
        self.checks.append((bool(ok), text))
        if not ok:
            sys.stderr.write("extract.py: %s: CHECK FAILED: %s\n" % (self.a.case, text))

    def run(self):
        a = self.a
        self.msgs = []
        for ts, src, dst, sport, dport, payload in read_pcap(a.pcap):
            if 500 not in (sport, dport) and 4500 not in (sport, dport):
                continue
            if src == a.initiator_ip and dst == a.responder_ip:
                d = "i2r"
            elif src == a.responder_ip and dst == a.initiator_ip:
                d = "r2i"
            else:
                raise ValueError("datagram between unexpected hosts %s -> %s" % (src, dst))
            port = dport if dport in (500, 4500) else sport
            m = {"dir": d, "src": src, "dst": dst, "sport": sport, "dport": dport,
                 "port": port, "payload": payload, "ts": ts}
            ike = ike_part(payload, port)
            m["marker"] = port == 4500 and ike is not None
            m["ike"] = ike
            m["hdr"] = ike_header(ike) if ike is not None else None
            self.msgs.append(m)
        self.logs = {}
        for role, path in (("initiator", a.initiator_log), ("responder", a.responder_log)):
            lines, recs = parse_log(path)
            self.logs[role] = {"lines": lines, "recs": recs, "path": path,
                               "ike": ike_key_blocks(recs), "child": child_key_blocks(recs),
                               "auth": auth_blocks(recs), "sk": sk_blocks(recs),
                               "enc1": enc1_lines(recs), "props": selected_proposals(recs),
                               "child_est": child_established(recs)}
        self.analyse_messages()
        self.out = []   # (key, value-or-None for comment)
        self.emit_all()

    # ----- messages

    def analyse_messages(self):
        for idx, m in enumerate(self.msgs):
            h = m["hdr"]
            m["payload_types"] = []
            m["sk"] = None
            m["summary"] = None
            if h is None:
                m["desc"] = "keepalive" if m["payload"] == b"\xff" else "ESP"
                continue
            body = m["ike"][28:h["length"]]
            self.check(h["length"] == len(m["ike"]),
                       "msg.%d: IKE header length %d == datagram length %d"
                       % (idx, h["length"], len(m["ike"])))
            cleartext = {}
            for ptype, pbody in walk_payloads(h["np"], body):
                m["payload_types"].append(ptype)
                if ptype == PAYLOAD_SK:
                    # first inner payload type is the SK header's next payload
                    off = 28 + (len(body) - len(pbody) - 4)
                    m["sk"] = {"first": m["ike"][off], "body": pbody}
                else:
                    cleartext.setdefault(ptype, pbody)
            m["clear"] = cleartext
            kind = "response" if h["flags"] & 0x20 else "request"
            m["desc"] = "%s %s %d" % (EXCHANGES.get(h["exchange"], str(h["exchange"])), kind, h["mid"])
            # ENC1 summary line from the sender's log ("generating ...")
            sender = "initiator" if m["dir"] == "i2r" else "responder"
            for e in self.logs[sender]["enc1"]:
                if (not e["used"] and e["op"] == "generating"
                        and e["exchange"] == EXCHANGES.get(h["exchange"])
                        and e["kind"] == kind and e["mid"] == h["mid"]):
                    e["used"] = True
                    m["summary"] = e["payloads"]
                    break
            if m["sk"] is not None:
                self.match_sk(idx, m)

    def match_sk(self, idx, m):
        body = m["sk"]["body"]
        found = {}
        for role in ("initiator", "responder"):
            for blk in self.logs[role]["sk"]:
                iv = blk.get("IV")
                enc = blk.get("encrypted")
                if iv is None or enc is None or blk.get("_used"):
                    continue
                if body.startswith(iv) and body[len(iv):len(iv) + 16] == enc[:16]:
                    blk["_used"] = True
                    found[role] = blk
                    break
        sender = "initiator" if m["dir"] == "i2r" else "responder"
        receiver = "responder" if sender == "initiator" else "initiator"
        s, r = found.get(sender), found.get(receiver)
        if s is None and r is None:
            self.check(False, "msg.%d: no SK dump found in either log" % idx)
            return
        blk = s or r
        if s is not None:
            self.check(s["op"] == "encryption", "msg.%d: sender logged an encryption" % idx)
        if s is not None and r is not None:
            self.check(r["op"] == "decryption", "msg.%d: receiver logged a decryption" % idx)
            self.check(s["plain"] == r["plain"] and s["padding"] == r["padding"],
                       "msg.%d: sender's plaintext == receiver's decrypted plaintext" % idx)
        icv = blk["ICV"]
        ct_len = len(body) - len(blk["IV"]) - len(icv)
        self.check(len(blk["plain"]) + len(blk["padding"]) == ct_len,
                   "msg.%d: len(plain)+len(padding) == ciphertext length %d" % (idx, ct_len))
        self.check(body.endswith(icv), "msg.%d: logged ICV is the SK payload's tail" % idx)
        self.check(blk["padding"][-1] == len(blk["padding"]) - 1,
                   "msg.%d: last padding byte is the pad length" % idx)
        m["sk"].update({"iv": blk["IV"], "plain": blk["plain"], "padding": blk["padding"],
                        "icv": icv})
        inner = {}
        try:
            for ptype, pbody in walk_payloads(m["sk"]["first"], blk["plain"]):
                inner.setdefault(ptype, pbody)
        except ValueError:
            self.check(False, "msg.%d: decrypted payload chain parses" % idx)
        m["inner"] = inner

    # ----- comparing both logs

    def agree(self, name, vi, vr):
        """Value from both logs: emit once when equal, else both."""
        if vi is None and vr is None:
            return None
        if vi is not None and vr is not None and vi != vr:
            self.check(False, "%s: initiator and responder logs differ" % name)
            return ("differ", vi, vr)
        self.check(vi is not None and vr is not None,
                   "%s: logged by both initiator and responder" % name)
        return vi if vi is not None else vr

    def emit(self, key, value, comment=None):
        if comment:
            for c in comment.split("\n"):
                self.out.append("# " + c if c else "#")
        if isinstance(value, tuple) and value and value[0] == "differ":
            self.out.append("%s.initiator_log = %s" % (key, value[1].hex()))
            self.out.append("%s.responder_log = %s" % (key, value[2].hex()))
            return
        if isinstance(value, (bytes, bytearray)):
            value = value.hex()
        self.out.append("%s = %s" % (key, value))

    def value(self, v):
        if isinstance(v, tuple):
            return v[1]
        return v

    # ----- output

    def emit_all(self):
        a = self.a
        msgs = self.msgs
        L = self.logs
        props_i, props_r = L["initiator"]["props"], L["responder"]["props"]
        ike_sel = [p[4:] for p in props_i if p.startswith("IKE:")]
        esp_sel = [p[4:] for p in props_i if p.startswith("ESP:")]
        self.check(props_i == props_r, "selected proposals identical in both logs")

        O = self.emit
        self.out.append("# strongSwan %s golden IKEv2 data, case %s" % (a.strongswan_version, a.case))
        self.out.append("# Captured by interop/golden/capture.sh on %s (see README.md here)." % a.date)
        self.out.append("# A = initiator 192.0.2.1 'moon.s2s.test', B = responder 192.0.2.2 'sun.s2s.test',")
        self.out.append("# PSK auth, tunnel mode child 10.1.0.0/24 === 10.2.0.0/24, charon with kernel-libipsec.")
        self.out.append("# Format: '#' comment lines, 'key = value' lines; hex is lowercase, unseparated.")
        self.out.append("# Keys are as charon printed them at log level 4 (wording quoted in the comments);")
        self.out.append("# both charons' logs were parsed and agree unless a key appears twice with")
        self.out.append("# .initiator_log/.responder_log suffixes.")
        self.out.append("")
        O("case", a.case)
        O("strongswan_version", a.strongswan_version)
        O("psk_text", a.psk)
        O("psk", a.psk.encode())
        O("id_i_text", a.id_i, "identities are ID_FQDN (type 2); id_i/id_r = identification data (hex of the text)")
        O("id_i", a.id_i.encode())
        O("id_i_type", "fqdn")
        O("id_r_text", a.id_r)
        O("id_r", a.id_r.encode())
        O("id_r_type", "fqdn")
        O("initiator_addr", a.initiator_ip)
        O("responder_addr", a.responder_ip)
        O("ts_i", "10.1.0.0/24")
        O("ts_r", "10.2.0.0/24")
        O("ike_proposal", a.ike_proposal, "proposals as configured in swanctl.conf on both sides, then as charon logged the selection")
        O("ike_proposal_selected", ike_sel[0] if ike_sel else "")
        O("esp_proposal", a.esp_proposal)
        O("esp_proposal_selected", esp_sel[0] if esp_sel else "")
        if len(esp_sel) > 1:
            O("rekey.esp_proposal_selected", esp_sel[1],
              "selected in the CREATE_CHILD_SA (rekey) exchange")
        O("extra", a.extra)
        O("msg_count", len(msgs))
        self.out.append("")

        # ---- datagrams
        self.out.append("# ---- UDP payloads in capture order (tcpdump in A's namespace on the veth).")
        self.out.append("# On port 4500 IKE messages carry the 4-byte zero non-ESP marker; it is INCLUDED")
        self.out.append("# in msg.N.hex and flagged by msg.N.nonesp_marker = true.")
        self.out.append("# msg.N.sk_iv / sk_plain / sk_padding: the SK payload's IV, decrypted inner payload")
        self.out.append("# chain and padding (including the trailing pad-length byte) as charon logged them")
        self.out.append("# ('encrypted payload encryption:' / 'decryption:' with 'IV', 'plain', 'padding');")
        self.out.append("# msg.N.sk_first_payload is the SK header's next-payload (first inner payload).")
        for idx, m in enumerate(msgs):
            self.out.append("")
            desc = "%s %s[%d] -> %s[%d], %d bytes: %s" % (
                m["dir"], m["src"], m["sport"], m["dst"], m["dport"], len(m["payload"]), m["desc"])
            if m["summary"] is not None:
                desc += " [ %s ]" % m["summary"]
            if m["hdr"] is not None:
                h = m["hdr"]
                desc += "\nflags 0x%02x, IKE SPIs %s / %s" % (h["flags"], h["spi_i"].hex(), h["spi_r"].hex())
            O("msg.%d.dir" % idx, m["dir"], "msg.%d: %s" % (idx, desc))
            O("msg.%d.port" % idx, m["port"])
            O("msg.%d.nonesp_marker" % idx, "true" if m["marker"] else "false")
            O("msg.%d.hex" % idx, m["payload"])
            sk = m.get("sk")
            if sk and "plain" in sk:
                O("msg.%d.sk_first_payload" % idx, sk["first"])
                O("msg.%d.sk_iv" % idx, sk["iv"])
                O("msg.%d.sk_plain" % idx, sk["plain"])
                O("msg.%d.sk_padding" % idx, sk["padding"])
        self.out.append("")

        # ---- IKE SA
        init_req = [m for m in msgs if m["hdr"] and m["hdr"]["exchange"] == 34
                    and not m["hdr"]["flags"] & 0x20 and PAYLOAD_NONCE in m["clear"]]
        init_rsp = [m for m in msgs if m["hdr"] and m["hdr"]["exchange"] == 34
                    and m["hdr"]["flags"] & 0x20 and PAYLOAD_NONCE in m["clear"]]
        if not init_req or not init_rsp:
            self.check(False, "IKE_SA_INIT request and response with nonces captured")
            return
        rq, rs = init_req[-1], init_rsp[0]
        spi_i, spi_r = rs["hdr"]["spi_i"], rs["hdr"]["spi_r"]
        ni, nr = rq["clear"][PAYLOAD_NONCE], rs["clear"][PAYLOAD_NONCE]
        self.out.append("# ---- IKE SA (from the IKE_SA_INIT messages above)")
        O("spi_i", spi_i)
        O("spi_r", spi_r)
        O("nonce_i", ni)
        O("nonce_r", nr)
        O("ke_i", rq["clear"][PAYLOAD_KE], "KE payload bodies: 2-byte DH group, 2 reserved bytes, public value")
        O("ke_r", rs["clear"][PAYLOAD_KE])
        self.out.append("")

        ike_i, ike_r = L["initiator"]["ike"], L["responder"]["ike"]
        self.check(len(ike_i) == len(ike_r), "same number of IKE key derivations in both logs (%d/%d)"
                   % (len(ike_i), len(ike_r)))
        prf_name = None
        for p in (ike_sel[0] if ike_sel else "").split("/"):
            if p.startswith("PRF_"):
                prf_name = p
        h = PRF_HASH.get(prf_name)
        ikeks = []
        for n in range(max(len(ike_i), len(ike_r))):
            bi = ike_i[n] if n < len(ike_i) else {}
            br = ike_r[n] if n < len(ike_r) else {}
            ks = {}
            for _label, key in IKE_KEY_LABELS:
                ks[key] = self.agree("ike[%d].%s" % (n, key), bi.get(key), br.get(key))
            ks["_lines"] = (bi.get("_line"), br.get("_line"))
            ikeks.append(ks)

        if ikeks:
            ks = ikeks[0]
            self.out.append("# ---- IKE SA keys, as charon's keymat_v2 logs them at IKE level 4")
            self.emit_ike_keys("", ks)
            if h:
                self.verify_ike(h, "", ks, None, ni, nr, spi_i, spi_r)
            else:
                self.check(False, "PRF %r known to the self-check" % prf_name)

        # ---- AUTH
        self.emit_auth(h, ikeks[0] if ikeks else None, rq, rs, ni, nr)

        # ---- Child SAs
        child_i, child_r = L["initiator"]["child"], L["responder"]["child"]
        self.check(len(child_i) == len(child_r), "same number of Child SA derivations in both logs (%d/%d)"
                   % (len(child_i), len(child_r)))
        est_i, est_r = L["initiator"]["child_est"], L["responder"]["child_est"]
        childks = []
        for n in range(max(len(child_i), len(child_r))):
            bi = child_i[n] if n < len(child_i) else {}
            br = child_r[n] if n < len(child_r) else {}
            ks = {}
            for _label, key in CHILD_KEY_LABELS:
                ks[key] = self.agree("child[%d].%s" % (n, key), bi.get(key), br.get(key))
            if n < len(est_i) and n < len(est_r):
                ks["spi_i"] = est_i[n]["spi_in"]
                ks["spi_r"] = est_i[n]["spi_out"]
                self.check(est_r[n]["spi_in"] == ks["spi_r"] and est_r[n]["spi_out"] == ks["spi_i"],
                           "child[%d]: ESP SPIs agree between both logs" % n)
            childks.append(ks)
        if childks:
            self.out.append("# ---- Child SA created with IKE_AUTH, charon child keymat at CHD level 4:")
            self.emit_child("child", childks[0], None, ni, nr, h, ikeks[0]["sk_d"] if ikeks else None)
        elif a.expect_child:
            self.check(False, "a Child SA was established")

        # ---- rekeys (CREATE_CHILD_SA)
        ccs = [(i, m) for i, m in enumerate(msgs) if m["hdr"] and m["hdr"]["exchange"] == 36]
        exch = []  # (proto, req, rsp)
        pend = {}
        for i, m in ccs:
            inner = m.get("inner") or {}
            if not m["hdr"]["flags"] & 0x20:
                pend[(m["hdr"]["spi_i"], m["hdr"]["mid"])] = (i, m)
            else:
                q = pend.pop((m["hdr"]["spi_i"], m["hdr"]["mid"]), None)
                if q is None or PAYLOAD_SA not in inner:
                    continue
                proto, _spi = first_proposal_spi(inner[PAYLOAD_SA])
                exch.append((proto, q, (i, m)))
        child_rekeys = [e for e in exch if e[0] == 3]
        ike_rekeys = [e for e in exch if e[0] == 1]
        if child_rekeys:
            (qi, q), (si, s) = child_rekeys[0][1], child_rekeys[0][2]
            if len(childks) < 2:
                self.check(False, "keys of the rekeyed Child SA logged")
            else:
                self.out.append("# ---- Child SA rekey: CREATE_CHILD_SA msg.%d/msg.%d (nonces, KE and SPIs from"
                                " sk_plain of those messages)" % (qi, si))
                qin, sin = q["inner"], s["inner"]
                rk = childks[1]
                rk["nonce_i"] = qin.get(PAYLOAD_NONCE)
                rk["nonce_r"] = sin.get(PAYLOAD_NONCE)
                rk["ke_i"] = qin.get(PAYLOAD_KE)
                rk["ke_r"] = sin.get(PAYLOAD_KE)
                rk["msgs"] = (qi, si)
                self.emit_child("rekey.child", rk, (qi, si), rk["nonce_i"], rk["nonce_r"], h,
                                ikeks[0]["sk_d"] if ikeks else None)
        if ike_rekeys:
            (qi, q), (si, s) = ike_rekeys[0][1], ike_rekeys[0][2]
            qin, sin = q["inner"], s["inner"]
            if len(ikeks) < 2:
                self.check(False, "keys of the rekeyed IKE SA logged")
            else:
                ks = ikeks[1]
                nspi_i = first_proposal_spi(qin[PAYLOAD_SA])[1]
                nspi_r = first_proposal_spi(sin[PAYLOAD_SA])[1]
                self.out.append("# ---- IKE SA rekey: CREATE_CHILD_SA msg.%d/msg.%d; new SPIs, nonces and KE from"
                                " sk_plain of those messages." % (qi, si))
                self.out.append("# SKEYSEED = prf(SK_d of the old IKE SA, g^ir new | Ni | Nr)")
                O("rekey.ike.spi_i", nspi_i)
                O("rekey.ike.spi_r", nspi_r)
                O("rekey.ike.nonce_i", qin.get(PAYLOAD_NONCE))
                O("rekey.ike.nonce_r", sin.get(PAYLOAD_NONCE))
                O("rekey.ike.ke_i", qin.get(PAYLOAD_KE))
                O("rekey.ike.ke_r", sin.get(PAYLOAD_KE))
                self.emit_ike_keys("rekey.ike.", ks)
                later = [m for m in msgs if m["hdr"] and m["hdr"]["spi_i"] == nspi_i]
                self.check(later and later[0]["hdr"]["spi_r"] == nspi_r,
                           "later messages use the new IKE SPIs")
                if h:
                    self.verify_ike(h, "rekey.ike.", ks, self.value(ikeks[0]["sk_d"]),
                                    qin.get(PAYLOAD_NONCE), sin.get(PAYLOAD_NONCE), nspi_i, nspi_r)
        if a.extra == "rekey":
            self.check(bool(child_rekeys), "child rekey exchange captured")
            self.check(bool(ike_rekeys), "IKE rekey exchange captured")

        self.out.append("")
        self.out.append("# ---- self-checks done by extract.py")
        for ok, text in self.checks:
            self.out.append("# %s: %s" % ("ok" if ok else "FAILED", text))
        nfail = sum(1 for ok, _ in self.checks if not ok)
        self.out.append("checks_failed = %d" % nfail)

    def emit_ike_keys(self, prefix, ks):
        O = self.emit
        O(prefix + "dh_shared_secret", ks["dh_shared_secret"], "'shared Diffie Hellman secret' (g^ir)")
        O(prefix + "skeyseed", ks["skeyseed"], "'SKEYSEED'")
        O(prefix + "sk_d", ks["sk_d"], "'Sk_d secret'")
        if ks["sk_ai"] is None and ks["sk_ar"] is None:
            O(prefix + "sk_ai", "", "AEAD IKE cipher: charon derives and prints no 'Sk_ai secret'/'Sk_ar secret';"
              " empty = zero length")
            O(prefix + "sk_ar", "")
        else:
            O(prefix + "sk_ai", ks["sk_ai"], "'Sk_ai secret'")
            O(prefix + "sk_ar", ks["sk_ar"], "'Sk_ar secret'")
        c = "'Sk_ei secret'"
        if ks["sk_ai"] is None:
            c += " (AEAD: key followed by the 4-byte salt, RFC 5282 / RFC 7634)"
        O(prefix + "sk_ei", ks["sk_ei"], c)
        O(prefix + "sk_er", ks["sk_er"], "'Sk_er secret'")
        O(prefix + "sk_pi", ks["sk_pi"], "'Sk_pi secret'")
        O(prefix + "sk_pr", ks["sk_pr"], "'Sk_pr secret'")
        self.out.append("")

    def verify_ike(self, h, prefix, ks, old_skd, ni, nr, spi_i, spi_r):
        v = self.value
        g = v(ks["dh_shared_secret"])
        if g is None or ni is None or nr is None:
            self.check(False, prefix + "inputs for the key schedule check present")
            return
        if old_skd is None:
            skeyseed = prf(h, ni + nr, g)
        else:
            skeyseed = prf(h, old_skd, g + ni + nr)
        self.check(skeyseed == v(ks["skeyseed"]), prefix + "skeyseed recomputed from nonces and DH secret")
        names = ["sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr"]
        lens = [len(v(ks[n]) or b"") for n in names]
        stream = prf_plus(h, skeyseed, ni + nr + spi_i + spi_r, sum(lens))
        off = 0
        ok = True
        for n, ln in zip(names, lens):
            ok &= stream[off:off + ln] == (v(ks[n]) or b"")
            off += ln
        self.check(ok, prefix + "SK_d|SK_ai|SK_ar|SK_ei|SK_er|SK_pi|SK_pr == prf+(SKEYSEED, Ni|Nr|SPIi|SPIr)")

    def emit_auth(self, h, ks, rq, rs, ni, nr):
        L = self.logs
        O = self.emit
        per = {}
        for role in ("initiator", "responder"):
            for blk in L[role]["auth"]:
                idd = blk.get("id")
                if idd is None:
                    continue
                who = "i" if idd[4:] == self.a.id_i.encode() else ("r" if idd[4:] == self.a.id_r.encode() else None)
                if who is None:
                    continue
                per.setdefault(who, {}).setdefault(role, blk)
        self.out.append("# ---- PSK AUTH payloads, charon at IKE level 3/4: 'IDx\\'' (ID payload body),")
        self.out.append("# 'octets = message + nonce + prf(Sk_px, IDx\\')', 'prf(secret, keypad)',")
        self.out.append("# 'AUTH = prf(prf(secret, keypad), octets)'.  auth_i = initiator's AUTH, auth_r = responder's.")
        for who in ("i", "r"):
            d = per.get(who, {})
            bi, br = d.get("initiator", {}), d.get("responder", {})
            vals = {}
            for key in ("id", "octets", "prf_psk_keypad", "value"):
                vals[key] = self.agree("auth_%s.%s" % (who, key), bi.get(key), br.get(key))
                O("auth_%s.%s" % (who, key), vals[key] if vals[key] is not None else "")
            psk = bi.get("psk") or br.get("psk")
            self.check(psk == self.a.psk.encode(), "auth_%s: logged 'secret' is the PSK" % who)
            if not h or ks is None:
                continue
            v = self.value
            skp = v(ks["sk_pi"] if who == "i" else ks["sk_pr"])
            msg = (rq if who == "i" else rs)["ike"]
            nonce = nr if who == "i" else ni
            idd = v(vals["id"])
            octets = v(vals["octets"])
            if idd is None or octets is None:
                self.check(False, "auth_%s logged" % who)
                continue
            exp_oct = msg + nonce + prf(h, skp, idd)
            self.check(octets == exp_oct,
                       "auth_%s.octets == IKE_SA_INIT %s (as captured) | %s | prf(SK_p%s, IDx')"
                       % (who, "request" if who == "i" else "response", "Nr" if who == "i" else "Ni", who))
            kp = prf(h, self.a.psk.encode(), b"Key Pad for IKEv2")
            self.check(kp == v(vals["prf_psk_keypad"]), "auth_%s: prf(PSK, 'Key Pad for IKEv2')" % who)
            self.check(prf(h, kp, exp_oct) == v(vals["value"]), "auth_%s.value recomputed" % who)
            # the AUTH payload inside the IKE_AUTH message carries the same value
            for m in self.msgs:
                hd = m["hdr"]
                if hd and hd["exchange"] == 35 and bool(hd["flags"] & 0x20) == (who == "r") and m.get("inner"):
                    ab = m["inner"].get(39)
                    if ab is not None:
                        self.check(ab[4:] == v(vals["value"]),
                                   "auth_%s.value is the AUTH payload in the IKE_AUTH %s"
                                   % (who, "response" if who == "r" else "request"))
                        break
        self.out.append("")

    def emit_child(self, prefix, ks, msgs, ni, nr, h, skd):
        O = self.emit
        v = self.value
        if "spi_i" in ks:
            O(prefix + ".spi_i", ks["spi_i"], "ESP SPI chosen by the initiator (A's inbound SA, used B->A) and by the"
              " responder (B's inbound SA, used A->B),\nfrom 'CHILD_SA ... established with SPIs <in>_i <out>_o'")
            O(prefix + ".spi_r", ks["spi_r"])
        if "nonce_i" in ks:
            O(prefix + ".nonce_i", ks["nonce_i"])
            O(prefix + ".nonce_r", ks["nonce_r"])
            O(prefix + ".ke_i", ks.get("ke_i"), "KE payload bodies (group, reserved, public value)")
            O(prefix + ".ke_r", ks.get("ke_r"))
        if ks.get("dh_shared_secret") is not None:
            O(prefix + ".dh_shared_secret", ks["dh_shared_secret"], "'DH secret' (PFS g^ir of the CREATE_CHILD_SA)")
        O(prefix + ".seed", ks["seed"], "'seed' = [g^ir |] Ni | Nr, the prf+ seed of KEYMAT = prf+(SK_d, seed)")
        O(prefix + ".encr_i", ks["encr_i"], "'encryption initiator key' (protects initiator->responder traffic;"
          " AEAD: key then 4-byte salt)")
        O(prefix + ".integ_i", ks["integ_i"] if ks["integ_i"] is not None else "",
          "'integrity initiator key'" + (" (not printed for AEAD: empty)" if ks["integ_i"] is None else ""))
        O(prefix + ".encr_r", ks["encr_r"], "'encryption responder key'")
        O(prefix + ".integ_r", ks["integ_r"] if ks["integ_r"] is not None else "", "'integrity responder key'")
        self.out.append("")
        seed = v(ks["seed"])
        g = v(ks.get("dh_shared_secret")) or b""
        if ni is not None and nr is not None and seed is not None:
            self.check(seed == g + ni + nr, prefix + ": seed == [DH secret |] Ni | Nr")
        if h and skd is not None and seed is not None:
            parts = [v(ks[k]) or b"" for k in ("encr_i", "integ_i", "encr_r", "integ_r")]
            km = prf_plus(h, v(skd), seed, sum(len(p) for p in parts))
            self.check(km == b"".join(parts), prefix + ": encr_i|integ_i|encr_r|integ_r == prf+(SK_d, seed)")

    # ----- files

    def write(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, self.a.case + ".txt")
        with open(path, "w") as f:
            f.write("\n".join(self.out).rstrip("\n") + "\n")
        for role in ("initiator", "responder"):
            lg = self.logs[role]
            trimmed = trim_log(lg["lines"], lg["recs"], role, self.a)
            with open(os.path.join(out_dir, "%s.%s.log" % (self.a.case, role)), "w") as f:
                f.write(trimmed)
        return sum(1 for ok, _ in self.checks if not ok)


# ENC tracing that is dropped from the kept logs: the per-rule encoder/parser
# output ("generating rule 3 U_INT_8" + its "=> value" dump), the raw payload
# dumps, and noise unrelated to the IKE SA.
DROP_MSG_RE = re.compile(
    r"^(?:\s*(?:generating|parsing) rule \d+ |\s*=> |generating payload of type |parsing \S+ payload, \d+ bytes left|"
    r"generating \S+ payload finished|parsing \S+ payload finished|generated data for this payload|"
    r"generated data of this generator|parsing payload from|parsing header of message|"
    r"parsing body of message|verifying payload of type|process payload of type|"
    r"waiting for data on sockets|vici client \d+ |generated content in encrypted payload|"
    r"parsing ENCRYPTED payload|encrypted payload could be decrypted and parsed|"
    r"parsing body of message, first payload is|"
    r"precalculated|natd_chunk|natd_hash|received (?:src|dst)_hash|opening directory)")


def trim_log(lines, recs, role, a):
    keep = []
    started = False
    for r in recs:
        if not started:
            if r.grp in ("DMN", "LIB") and r.lvl <= 1:
                keep.append(r)
                continue
            if (r.msg.startswith("initiating IKE_SA") or r.msg.startswith("received packet")
                    or r.msg.startswith("added vici connection")):
                started = True
            else:
                continue
        if r.grp == "ENC" and r.lvl == 2:
            continue  # encoder/parser chatter ("added payload of type ...", rules)
        if r.grp == "ENC" and r.lvl >= 3 and (DROP_MSG_RE.match(r.msg)
                                               or r.label in ("encrypted", "ICV")):
            continue  # per-field values; ciphertext and ICV are in the captured message
        if DROP_MSG_RE.match(r.msg) and r.grp in ("NET", "CFG", "IKE"):
            continue
        if r.grp == "CFG" and r.lvl >= 2 and r.msg.startswith("  ") and not r.ike:
            continue  # per-option dump of the loaded connection
        keep.append(r)
    out = ["# charon log of the %s (%s), case %s, strongSwan %s; captured %s." % (
        role, a.initiator_ip if role == "initiator" else a.responder_ip, a.case,
        a.strongswan_version, a.date),
        "# Trimmed by interop/golden/extract.py: left out are daemon start-up and vici noise, all ENC",
        "# level-2 encoder/parser tracing, the ENC level-3 per-field values and raw payload dumps, and",
        "# the 'encrypted'/'ICV' dumps (those bytes are in the captured messages).  Kept: every",
        "# IKE/CHD/CFG/NET/KNL line about the IKE SA, all key dumps, ENC1 message summaries and the",
        "# SK 'encrypted payload encryption:/decryption:' dumps of IV, plain, padding and assoc."]
    for r in keep:
        out.extend(lines[r.lineno:r.end + 1])
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# README

README_TEMPLATE = """\
# strongSwan 5.9.8 golden data

Real IKEv2 exchanges between two strongSwan charon daemons, with the keys
charon logged, for testing the S2SEndpoint IKEv2 codec and key schedule
against a real peer.  Everything here is generated; do not edit by hand.

## How it was made

- Command (as root, from the repository root): `{command}`; the script
  uses `interop/golden/extract.py` and rewrites this whole folder.
- Packages: Debian 12, `dpkg-query -W strongswan-charon` = `strongswan-charon
  {version}` (with strongswan-swanctl, libcharon-extra-plugins,
  libstrongswan-extra-plugins, tcpdump).
- Date: {date}.
- Two network namespaces joined by a veth pair: A = 192.0.2.1/24
  (initiator, `moon.s2s.test`), B = 192.0.2.2/24 (responder, `sun.s2s.test`).
  Each runs `/usr/lib/ipsec/charon` in its own mount namespace (private
  tmpfs `/run` for the compiled-in pid file) with its own `strongswan.conf`
  (`STRONGSWAN_CONF`), vici socket and `swanctl.conf`; PSK `s2s-golden-psk`,
  IDs are FQDNs, one tunnel-mode child 10.1.0.0/24 === 10.2.0.0/24.
- Plugins: `random nonce aes sha1 sha2 hmac gcm chapoly curve25519 openssl pem
  pkcs1 x509 pubkey gmp kdf kernel-libipsec kernel-netlink socket-default vici
  updown`.  The kernel has no ESP, so ESP is kernel-libipsec (user space,
  TUN `ipsec0`).  kernel-libipsec reports that it needs UDP encapsulation,
  so charon **fakes NAT detection** (random NAT_DETECTION_SOURCE_IP hash,
  logged as "remote host is behind NAT" on both sides) and both peers move
  to UDP 4500 after IKE_SA_INIT.  Every later IKE message therefore starts
  with the 4-byte zero non-ESP marker.
- Child SAs use `policies = no`: kernel-libipsec installs a route for every
  outbound policy and needs a local address inside the local traffic
  selector for it ("error installing route with policy", then
  TS_UNACCEPTABLE).  The namespaces carry only the 192.0.2.x addresses, so
  policies are off; the SAs themselves are negotiated, keyed and installed
  normally (no traffic is sent through them, so no ESP packets appear).
- Logging: `filelog` with `default = 1, ike = 4, enc = 4, cfg = 2, chd = 4,
  knl = 2, net = 2` (plus `ike_name`, `log_level`, `time_add_ms`).
- A initiates with `swanctl --initiate --child net`; the rekey case then runs
  `swanctl --rekey --child net` and `swanctl --rekey --ike golden`.  Every
  case ends with `swanctl --terminate --ike golden` from A, so the last
  exchange is an INFORMATIONAL with a Delete payload.
- tcpdump in A's namespace on the veth (`udp port 500 or udp port 4500`),
  then extract.py reads the pcap (own parser) and both logs.

## Cases

| case | IKE proposal | ESP proposal | messages | self-checks failed |
| --- | --- | --- | --- | --- |
{case_rows}

Per case: `<case>.txt` (the data), `<case>.initiator.log` and
`<case>.responder.log` (charon's logs, trimmed: start-up and vici noise,
the ENC level-2 encoder/parser tracing, ENC level-3 per-field values and the
`encrypted`/`ICV` dumps are left out; all key dumps, the ENC1 message
summaries, the SK `IV`/`plain`/`padding`/`assoc` dumps and the
IKE/CHD/CFG/NET/KNL lines about the IKE SA are kept).

## File format (`<case>.txt`)

Lines starting with `#` are comments; other non-empty lines are
`key = value`.  Hex values are lowercase without separators; an empty value
means zero length.  Keys:

- `psk_text`, `psk` (hex of the ASCII secret), `id_i_text`/`id_i`,
  `id_r_text`/`id_r` (text and hex of the identification data;
  `id_*_type = fqdn`), `initiator_addr`, `responder_addr`, `ts_i`, `ts_r`.
- `ike_proposal` / `esp_proposal` as configured, `*_selected` as charon
  logged the selected proposal.
- `msg_count`, then for N = 0..msg_count-1 in capture order:
  `msg.N.dir` (`i2r` = from A, `r2i` = from B), `msg.N.port` (500 or 4500),
  `msg.N.nonesp_marker` (`true` when the datagram starts with the 4 zero
  bytes of the non-ESP marker, which **is included** in `msg.N.hex`),
  `msg.N.hex` (the whole UDP payload).  For messages with an SK payload
  also `msg.N.sk_first_payload` (decimal next-payload of the SK header),
  `msg.N.sk_iv`, `msg.N.sk_plain` (decrypted inner payload chain) and
  `msg.N.sk_padding` (padding including the final pad-length byte), as
  charon logged them; the sender's encryption dump and the receiver's
  decryption dump agree.  The comment above each message names the
  exchange and lists its payloads as charon logged them.
- `spi_i`, `spi_r`, `nonce_i`, `nonce_r`, `ke_i`, `ke_r` (KE payload body:
  group, reserved, public value): parsed from the IKE_SA_INIT messages.
- IKE SA keys: `dh_shared_secret`, `skeyseed`, `sk_d`, `sk_ai`, `sk_ar`,
  `sk_ei`, `sk_er`, `sk_pi`, `sk_pr`.  With an AEAD IKE cipher charon has no
  SK_a* (written empty) and `sk_ei`/`sk_er` are the key followed by the
  4-byte salt (GCM: 32+4 bytes, ChaCha20-Poly1305: 32+4 bytes).
- PSK authentication: `auth_i.*` (the initiator's AUTH) and `auth_r.*`:
  `id` (IDx' = ID payload body), `octets` (signed octets),
  `prf_psk_keypad` (prf(PSK, "Key Pad for IKEv2")), `value` (AUTH data).
- Child SA from IKE_AUTH: `child.spi_i` (ESP SPI chosen by the initiator,
  i.e. of A's inbound SA), `child.spi_r`, `child.seed` (Ni | Nr),
  `child.encr_i`, `child.integ_i` (keys for initiator->responder traffic),
  `child.encr_r`, `child.integ_r`.  AEAD ESP has no integrity key (empty)
  and the encryption key ends with the 4-byte salt.
- Rekey case only: `rekey.child.*` (PFS CREATE_CHILD_SA: `spi_i`, `spi_r`,
  `nonce_i`, `nonce_r`, `ke_i`, `ke_r`, `dh_shared_secret`, `seed` =
  g^ir | Ni | Nr, keys as above) and `rekey.ike.*` (new `spi_i`, `spi_r`,
  `nonce_i`, `nonce_r`, `ke_i`, `ke_r`, then the same keys as the IKE SA;
  SKEYSEED = prf(old SK_d, g^ir | Ni | Nr)).  Rekey nonces/KE/SPIs come
  from `sk_plain` of the CREATE_CHILD_SA messages.
- `checks_failed` and `# ok: ...` comments: extract.py recomputed SKEYSEED,
  SK_*, the Child SA KEYMAT and both AUTH values from the captured
  messages with Python's hmac and compared them with the logged values,
  and compared initiator's and responder's logs.  When the two logs
  disagree a key is written twice with `.initiator_log`/`.responder_log`.

## Notes

- strongSwan 5.9.8 accepts `modp1024` (and `sha1`) without complaint when
  configured explicitly; case 2 uses exactly the requested proposals.
- Both peers fake NAT (kernel-libipsec), so after IKE_SA_INIT everything is
  on 4500 with the non-ESP marker; neither side thinks *itself* behind NAT,
  so no NAT keepalives are sent, and no ESP packets appear (no traffic).
- The ESP SPIs are real random SPIs from kernel-libipsec.
- DH secrets: MODP = full-length g^ir (128 / 256 bytes), ECP_384 = the
  48-byte x coordinate, Curve25519 = 32 bytes (RFC 7296 / 5903 / 8031).
- keymat_v2 does not print the nonces; they are taken from the messages
  (IKE_SA_INIT in clear, CREATE_CHILD_SA from the logged plaintext).  The
  Child SA `seed` dump contains them too.
- charon logs every key in both daemons; extract.py found them identical.
  The responder logs the IKE SA keys before it has picked a connection, so
  its prefix there is `<1>` instead of `<golden|1>`; the wording is the same.

## Exact charon log lines the values come from

Hex dumps are `<label> => <N> bytes @ <ptr>` followed by lines
`   0: 2A 3B ...  ascii` (16 bytes a line); the prefix of every line is
`<time> <thread>[<GRP><level>] <conn|n> `.

| value | charon wording | group/level |
| --- | --- | --- |
| dh_shared_secret | `shared Diffie Hellman secret => N bytes @ ...` | IKE4 |
| skeyseed | `SKEYSEED => N bytes @ ...` | IKE4 |
| sk_d | `Sk_d secret => ...` | IKE4 |
| sk_ai / sk_ar | `Sk_ai secret => ...` / `Sk_ar secret => ...` (absent with AEAD) | IKE4 |
| sk_ei / sk_er | `Sk_ei secret => ...` / `Sk_er secret => ...` | IKE4 |
| sk_pi / sk_pr | `Sk_pi secret => ...` / `Sk_pr secret => ...` | IKE4 |
| auth_*.id | `IDx' => ...` | IKE3 |
| (SK_p used) | `SK_p => ...` | IKE4 |
| auth_*.octets | `octets = message + nonce + prf(Sk_px, IDx') => ...` | IKE3 |
| (the PSK) | `secret => ...` | IKE4 |
| auth_*.prf_psk_keypad | `prf(secret, keypad) => ...` | IKE4 |
| auth_*.value | `AUTH = prf(prf(secret, keypad), octets) => ...` | IKE3 |
| rekey.child.dh_shared_secret | `DH secret => ...` | CHD4 |
| *.seed | `seed => ...` | CHD4 |
| *.encr_i / *.encr_r | `encryption initiator key => ...` / `encryption responder key => ...` | CHD4 |
| *.integ_i / *.integ_r | `integrity initiator key => ...` / `integrity responder key => ...` (absent with AEAD) | CHD4 |
| msg.N.sk_* | `encrypted payload encryption:` / `encrypted payload decryption:` then `IV =>`, `plain =>`, `padding =>`, `assoc =>`, `encrypted =>`, `ICV =>` | ENC3 |
| child SPIs | `CHILD_SA net{{n}} established with SPIs <in>_i <out>_o and TS ...` | IKE0 |
| selected proposals | `selected proposal: IKE:...` / `ESP:...` | CFG1 |

charon prints the four Child SA keys in the order encryption initiator,
encryption responder, integrity initiator, integrity responder; the KEYMAT
order (RFC 7296 2.17) is encr_i, integ_i, encr_r, integ_r, which the
self-check confirms.  Nonces are not printed by keymat_v2 for the IKE SA;
they come from the messages.
"""


def write_readme(args):
    rows = []
    for path in sorted(glob.glob(os.path.join(args.out_dir, "*.txt"))):
        kv = {}
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#") or " = " not in line:
                    continue
                k, v = line.split(" = ", 1)
                kv[k] = v
        if "case" not in kv:
            continue
        rows.append("| `%s` | `%s` | `%s` | %s | %s |" % (
            kv["case"], kv.get("ike_proposal", ""), kv.get("esp_proposal", ""),
            kv.get("msg_count", "?"), kv.get("checks_failed", "?")))
    text = README_TEMPLATE.format(command=args.command, version=args.strongswan_version,
                                  date=args.date, case_rows="\n".join(rows))
    with open(os.path.join(args.out_dir, "README.md"), "w") as f:
        f.write(text)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("case")
    c.add_argument("--case", required=True)
    c.add_argument("--pcap", required=True)
    c.add_argument("--initiator-log", required=True)
    c.add_argument("--responder-log", required=True)
    c.add_argument("--initiator-ip", required=True)
    c.add_argument("--responder-ip", required=True)
    c.add_argument("--psk", required=True)
    c.add_argument("--id-i", required=True)
    c.add_argument("--id-r", required=True)
    c.add_argument("--ike-proposal", required=True)
    c.add_argument("--esp-proposal", required=True)
    c.add_argument("--strongswan-version", required=True)
    c.add_argument("--extra", default="none")
    c.add_argument("--no-child", dest="expect_child", action="store_false")
    c.add_argument("--date", default=None)
    c.add_argument("--out-dir", required=True)
    r = sub.add_parser("readme")
    r.add_argument("--out-dir", required=True)
    r.add_argument("--strongswan-version", required=True)
    r.add_argument("--command", required=True)
    r.add_argument("--date", default=None)
    args = p.parse_args(argv)
    if args.date is None:
        args.date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if args.cmd == "readme":
        write_readme(args)
        return 0
    case = Case(args)
    case.run()
    nfail = case.write(args.out_dir)
    sys.stderr.write("extract.py: %s: %d datagrams, %d checks, %d failed\n"
                     % (args.case, len(case.msgs), len(case.checks), nfail))
    return 3 if nfail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
