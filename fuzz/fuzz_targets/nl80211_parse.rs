//! The parsers of kernel bytes of eco.nl80211: every reply parser over the input taken as a
//! Generic Netlink payload, the nested parsers (rates, RSN/WPA bodies, station flags) and the
//! information-element walk over the raw input. Must never panic or read past the input.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run nl80211_parse -- -max_total_time=300`
#![no_main]

use eco_nl80211::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse::parse_interface(data);
    let _ = parse::parse_bss(data, true);
    let _ = parse::parse_bss(data, false);
    let _ = parse::parse_station(data);
    let _ = parse::parse_survey(data);
    let _ = parse::parse_freqlist(data);
    let _ = parse::parse_protocol_features(data);
    let _ = parse::parse_sta_flag_update(data);
    let _ = parse::parse_rate(data);
    let _ = parse::parse_rsn(data, "CCMP", "8021x");
    let mut o = parse::Obj::new();
    parse::parse_ies(data, true, &mut o);
    let _ = parse::escape_ssid(data);
    // The nested parsers behind a well-formed top level: the input as the payload of each
    // nested attribute the reply parsers descend into.
    if data.len() < 60000 {
        for t in [
            parse::ATTR_BSS,
            parse::ATTR_STA_INFO,
            parse::ATTR_SURVEY_INFO,
            parse::ATTR_WIPHY_BANDS,
        ] {
            let mut p = vec![1, 1, 0, 0];
            p.extend_from_slice(&((data.len() + 4) as u16).to_ne_bytes());
            p.extend_from_slice(&(t | 0x8000).to_ne_bytes());
            p.extend_from_slice(data);
            let _ = parse::parse_bss(&p, true);
            let _ = parse::parse_station(&p);
            let _ = parse::parse_survey(&p);
            let _ = parse::parse_freqlist(&p);
        }
    }
});
