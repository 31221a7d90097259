//! The settings given in seconds or milliseconds, as `Duration`s.

use std::time::Duration;

use super::Settings;

impl Settings {
    pub fn db_acquire_timeout(&self) -> Duration {
        Duration::from_secs(self.db_acquire_timeout_secs)
    }

    pub fn ws_keepalive(&self) -> Duration {
        Duration::from_secs(self.ws_keepalive_secs)
    }

    pub fn ws_init_timeout(&self) -> Duration {
        Duration::from_secs(self.ws_init_timeout_secs)
    }

    pub fn send_timeout(&self) -> Duration {
        Duration::from_secs(self.send_timeout_secs)
    }

    pub fn sse_heartbeat(&self) -> Duration {
        Duration::from_millis(self.sse_heartbeat_ms)
    }

    pub fn multipart_heartbeat(&self) -> Duration {
        Duration::from_millis(self.multipart_heartbeat_ms)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }

    pub fn webhook_timeout(&self) -> Duration {
        Duration::from_millis(self.webhook_timeout_ms)
    }

    /// The webhook lease: the setting, but at least twice the webhook timeout (so that
    /// a delivery started under a lease ends before the lease could expire).
    pub fn webhook_lease(&self) -> Duration {
        Duration::from_millis(
            self.webhook_lease_ms
                .max(self.webhook_timeout_ms.saturating_mul(2)),
        )
    }
}
