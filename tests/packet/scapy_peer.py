# The Scapy side of tests/packet/scapy.lua (run with Debian's /usr/bin/python3 and python3-scapy):
#   scapy_peer.py build          frames built by Scapy: "<name>\tframe\t<hex>" then the fields
#                                 Scapy put in, as "<name>\t<LAYER.field>\t<value>" (eco.packet names)
#   scapy_peer.py dissect FILE   FILE has "<name> <hex>" lines (Ethernet frames built by eco.packet);
#                                 prints the fields Scapy dissects, same format, plus *.check_ok
#                                 (the checksum equals the one Scapy computes).
# Values: integers in decimal, booleans true/false, bytes as hex:<hex>, addresses as text.
import sys
from scapy.config import conf
conf.verb = 0
from scapy.packet import Raw
from scapy.compat import raw
from scapy.layers.l2 import Ether, Dot1Q, ARP
from scapy.layers.inet import IP, UDP, TCP, ICMP, IPOption
from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest, ICMPv6EchoReply
from scapy.layers.dot11 import RadioTap, Dot11, Dot11Beacon, Dot11Elt, Dot11ProbeReq, Dot11ProbeResp

def val(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (bytes, bytearray)):
        return 'hex:' + bytes(v).hex()
    return str(v)

def out(name, key, v):
    print('%s\t%s\t%s' % (name, key, val(v)))

def recomputed(p, layer):
    q = p.copy()
    del q[layer].chksum
    return Ether(raw(q))[layer].chksum

def dissect(name, frame):
    p = Ether(frame)
    out(name, 'ETHER.source', p.src); out(name, 'ETHER.dest', p.dst); out(name, 'ETHER.proto', p.type)
    if Dot1Q in p:
        q = p[Dot1Q]
        out(name, '8021Q.pri', q.prio); out(name, '8021Q.vid', q.vlan); out(name, '8021Q.proto', q.type)
    if ARP in p:
        a = p[ARP]
        for k, v in (('ar_hrd', a.hwtype), ('ar_pro', a.ptype), ('ar_hln', a.hwlen), ('ar_pln', a.plen),
                     ('op', a.op), ('sha', a.hwsrc), ('sip', a.psrc), ('tha', a.hwdst), ('tip', a.pdst)):
            out(name, 'ARP.' + k, v)
    if IP in p:
        i = p[IP]
        for k, v in (('version', i.version), ('ihl', i.ihl), ('tos', i.tos), ('tot_len', i.len),
                     ('id', i.id), ('frag_off', (int(i.flags) << 13) | i.frag), ('ttl', i.ttl),
                     ('protocol', i.proto), ('check', i.chksum), ('saddr', i.src), ('daddr', i.dst)):
            out(name, 'IP.' + k, v)
        out(name, 'IP.check_ok', recomputed(p, IP) == i.chksum)
    if IPv6 in p:
        i = p[IPv6]
        for k, v in (('version', i.version), ('payload_len', i.plen), ('nexthdr', i.nh),
                     ('hop_limit', i.hlim), ('saddr', i.src), ('daddr', i.dst)):
            out(name, 'IPV6.' + k, v)
    if UDP in p:
        u = p[UDP]
        for k, v in (('source', u.sport), ('dest', u.dport), ('len', u.len), ('check', u.chksum),
                     ('data', bytes(u.payload))):
            out(name, 'UDP.' + k, v)
        if IP in p and u.chksum != 0:
            out(name, 'UDP.check_ok', recomputed(p, UDP) == u.chksum)
    if TCP in p:
        t = p[TCP]
        for k, v in (('source', t.sport), ('dest', t.dport), ('seq', t.seq), ('ack_seq', t.ack),
                     ('doff', t.dataofs), ('window', t.window), ('check', t.chksum),
                     ('urg_ptr', t.urgptr), ('data', bytes(t.payload))):
            out(name, 'TCP.' + k, v)
        f = t.flags
        for k, bit in (('cwr', 'C'), ('ece', 'E'), ('urg', 'U'), ('ack', 'A'), ('psh', 'P'),
                       ('rst', 'R'), ('syn', 'S'), ('fin', 'F')):
            out(name, 'TCP.' + k, bit in str(f))
        if IP in p:
            out(name, 'TCP.check_ok', recomputed(p, TCP) == t.chksum)
    if ICMP in p:
        c = p[ICMP]
        for k, v in (('type', c.type), ('code', c.code), ('checksum', c.chksum), ('data', bytes(c.payload))):
            out(name, 'ICMP.' + k, v)
        if c.type in (0, 8):
            out(name, 'ICMP.id', c.id); out(name, 'ICMP.sequence', c.seq)
        out(name, 'ICMP.check_ok', recomputed(p, ICMP) == c.chksum)
    for cls in (ICMPv6EchoRequest, ICMPv6EchoReply):
        if cls in p:
            c = p[cls]
            for k, v in (('type', c.type), ('code', c.code), ('checksum', c.cksum), ('id', c.id),
                         ('sequence', c.seq), ('data', c.data)):
                out(name, 'ICMPV6.' + k, v)

def emit(name, pkt, fields):
    print('%s\tframe\t%s' % (name, raw(pkt).hex()))
    for k, v in fields.items():
        out(name, k, v)

def build():
    m1, m2 = '02:00:00:00:00:01', '02:00:00:00:00:02'
    e = Ether(src=m1, dst=m2)
    eth = {'ETHER.source': m1, 'ETHER.dest': m2}
    p = e / IP(src='192.0.2.1', dst='198.51.100.7', ttl=17, id=0x1234, tos=0x10, flags='DF') / UDP(sport=5353, dport=53) / Raw(b'scapy-udp')
    p = Ether(raw(p))
    emit('udp4', p, dict(eth, **{'ETHER.proto': 0x0800, 'IP.version': 4, 'IP.ihl': 5, 'IP.tos': 0x10,
         'IP.tot_len': p[IP].len, 'IP.id': 0x1234, 'IP.frag_off': 0x4000, 'IP.ttl': 17, 'IP.protocol': 17,
         'IP.check': p[IP].chksum, 'IP.saddr': '192.0.2.1', 'IP.daddr': '198.51.100.7',
         'UDP.source': 5353, 'UDP.dest': 53, 'UDP.len': 17, 'UDP.check': p[UDP].chksum, 'UDP.data': b'scapy-udp'}))
    p = Ether(raw(e / IP(src='10.0.0.1', dst='10.0.0.2') / TCP(sport=40000, dport=80, seq=0xdeadbeef, ack=7,
        flags='PA', window=512, urgptr=3, options=[('MSS', 1460), ('NOP', None), ('WScale', 7)]) / Raw(b'GET / HTTP/1.0\r\n\r\n')))
    emit('tcp4', p, dict(eth, **{'IP.protocol': 6, 'IP.ihl': 5, 'TCP.source': 40000, 'TCP.dest': 80, 'TCP.seq': 0xdeadbeef,
         'TCP.ack_seq': 7, 'TCP.doff': p[TCP].dataofs, 'TCP.psh': True, 'TCP.ack': True, 'TCP.syn': False,
         'TCP.fin': False, 'TCP.rst': False, 'TCP.urg': False, 'TCP.ece': False, 'TCP.cwr': False,
         'TCP.window': 512, 'TCP.check': p[TCP].chksum, 'TCP.urg_ptr': 3, 'TCP.data': b'GET / HTTP/1.0\r\n\r\n'}))
    p = Ether(raw(e / IP(src='10.0.0.1', dst='10.0.0.2', options=IPOption(b'\x01\x01\x01\x00')) / TCP(sport=1, dport=2, flags='SEC')))
    emit('tcp4opt', p, {'IP.ihl': 6, 'TCP.syn': True, 'TCP.ece': True, 'TCP.cwr': True, 'TCP.ack': False, 'TCP.data': b''})
    p = Ether(raw(e / IP(src='10.0.0.1', dst='10.0.0.2') / ICMP(type=8, id=0x4242, seq=9) / Raw(b'ping!')))
    emit('icmp4', p, {'ICMP.type': 8, 'ICMP.code': 0, 'ICMP.id': 0x4242, 'ICMP.sequence': 9,
         'ICMP.checksum': p[ICMP].chksum, 'ICMP.data': b'ping!'})
    p = Ether(raw(e / IP(src='10.0.0.1', dst='10.0.0.2') / ICMP(type=5, code=1, gw='10.0.0.254') / Raw(b'x' * 28)))
    emit('redirect', p, {'ICMP.type': 5, 'ICMP.code': 1, 'ICMP.gateway': '10.0.0.254'})
    p = Ether(raw(Ether(src=m1, dst='ff:ff:ff:ff:ff:ff') / ARP(op=2, hwsrc=m1, psrc='10.9.8.7', hwdst=m2, pdst='10.9.8.6')))
    emit('arp', p, {'ETHER.proto': 0x0806, 'ARP.ar_hrd': 1, 'ARP.ar_pro': 0x0800, 'ARP.ar_hln': 6, 'ARP.ar_pln': 4,
         'ARP.op': 2, 'ARP.sha': m1, 'ARP.sip': '10.9.8.7', 'ARP.tha': m2, 'ARP.tip': '10.9.8.6'})
    p = Ether(raw(e / Dot1Q(prio=6, vlan=1234) / IP(src='10.0.0.1', dst='10.0.0.2') / UDP(sport=1, dport=2) / Raw(b'vlan')))
    emit('vlan', p, {'ETHER.proto': 0x8100, '8021Q.pri': 6, '8021Q.vid': 1234, '8021Q.proto': 0x0800, 'UDP.data': b'vlan'})
    for nm, l4, extra in (
        ('udp6', UDP(sport=546, dport=547) / Raw(b'dhcp6'), {'IPV6.nexthdr': 17, 'UDP.source': 546, 'UDP.data': b'dhcp6'}),
        ('tcp6', TCP(sport=443, dport=50000, flags='S', seq=1) / Raw(b'six'), {'IPV6.nexthdr': 6, 'TCP.syn': True, 'TCP.data': b'six'}),
    ):
        p = Ether(raw(e / IPv6(src='2001:db8::1', dst='fe80::2', hlim=9, tc=0x50) / l4))
        f = {'ETHER.proto': 0x86DD, 'IPV6.version': 6, 'IPV6.priority': 5, 'IPV6.payload_len': p[IPv6].plen,
             'IPV6.hop_limit': 9, 'IPV6.saddr': '2001:db8::1', 'IPV6.daddr': 'fe80::2'}
        f.update(extra)
        emit(nm, p, f)
    # ICMPv6 echo: decoded with from_icmp6 on the ICMPv6 bytes (IPv6 does not chain to it)
    p = Ether(raw(e / IPv6(src='::1', dst='::ffff:10.0.0.1') / ICMPv6EchoRequest(id=77, seq=88, data=b'v6 ping')))
    emit('icmp6', p, {'IPV6.nexthdr': 58, 'IPV6.saddr': '::1', 'IPV6.daddr': '::ffff:10.0.0.1',
         'ICMPV6.type': 128, 'ICMPV6.id': 77, 'ICMPV6.sequence': 88, 'ICMPV6.checksum': p[ICMPv6EchoRequest].cksum,
         'ICMPV6.data': b'v6 ping'})
    # 802.11 in radiotap
    a1, a2, a3 = 'ff:ff:ff:ff:ff:ff', '00:11:22:33:44:55', '00:11:22:33:44:66'
    rt = RadioTap(present='Flags+Rate+Channel', Flags=0, Rate=2, ChannelFrequency=2437, ChannelFlags=0xa0)
    p = rt / Dot11(type=0, subtype=8, addr1=a1, addr2=a2, addr3=a3) / Dot11Beacon(timestamp=123456789, beacon_interval=100, cap=0x0431) \
        / Dot11Elt(ID=0, info=b'eco-ssid') / Dot11Elt(ID=1, info=b'\x82\x84\x8b\x96') / Dot11Elt(ID=3, info=b'\x06')
    p = RadioTap(raw(p))
    emit('beacon', p, {'80211.type': 0, '80211.subtype': 8, '80211.addr1': a1, '80211.addr2': a2, '80211.addr3': a3,
         '80211.timestamp': 123456789, '80211.beacon_interval': 100,
         # Scapy's `cap` is a big-endian flags field (its flag names are ordered for that); the
         # wire value is the little-endian u16 of the same two bytes: 0x3104
         '80211.capability': 0x3104, '80211.ssid': b'eco-ssid',
         '80211.retry': False, '80211.to_ds': False})
    p = RadioTap(raw(RadioTap() / Dot11(type=0, subtype=4, addr1=a1, addr2=a2, addr3=a1, FCfield='retry') / Dot11ProbeReq()
        / Dot11Elt(ID='SSID', info=b'test') / Dot11Elt(ID=1, info=b'\x02\x04')))
    emit('probereq', p, {'80211.subtype': 4, '80211.ssid': b'test', '80211.retry': True, '80211.addr2': a2})
    p = RadioTap(raw(RadioTap() / Dot11(type=2, subtype=8, FCfield='to-DS+from-DS+protected', addr1=a2, addr2=a3,
        addr3=a1, addr4='00:00:5e:00:53:01', ID=0x2c) / Raw(b'\x00\x00payload')))
    emit('data4', p, {'80211.type': 2, '80211.subtype': 8, '80211.to_ds': True, '80211.from_ds': True, '80211.protected': True,
         '80211.addr1': a2, '80211.addr2': a3, '80211.addr3': a1, '80211.addr4': '00:00:5e:00:53:01',
         # Scapy's Dot11 `ID` (duration) is a big-endian ShortField; 802.11 and eco.packet
         # read the same bytes (00 2c) little-endian
         '80211.duration': 0x2c00})

if sys.argv[1] == 'dissect':
    for line in open(sys.argv[2]):
        name, h = line.split()
        dissect(name, bytes.fromhex(h))
else:
    build()
