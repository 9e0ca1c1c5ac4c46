// Packs lua/*.lua for `eco_luasrc::lua_source!` (minified, compressed; see crates/eco-luasrc).
fn main() {
    eco_luasrc::build::pack_lua_dir();
}
