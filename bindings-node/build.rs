//! Links the napi module the way Node loads it.
fn main() {
    napi_build::setup();
}
