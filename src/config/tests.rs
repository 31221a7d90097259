//! The defaults, whatever the environment.

use super::*;

#[test]
fn defaults_ignore_the_environment() {
    // Set for this process only; no other test in this binary reads it.
    std::env::set_var("PREMIERE_MAX_DEPTH", "3");
    let settings = Settings::defaults();
    std::env::remove_var("PREMIERE_MAX_DEPTH");
    assert_eq!(settings.max_depth, 16);
    assert_eq!(settings.listen, SocketAddr::from(([127, 0, 0, 1], 8000)));
}
