//! `bench`: release builds, then bench/run.sh (the Lua benchmarks under both interpreters),
//! bench/echo.sh (TCP echo against a native epoll server), bench/http.sh (HTTP hello world
//! against nginx), bench/mqtt.sh and bench/ssh.sh (eco.ssh against OpenSSH scp), each printing
//! one `name value unit` line per figure (bench/ubus.lua calls through the test broker
//! eco-ubusd-test, built here in release).

use std::process::Command;

use crate::util::*;

impl Ctx {
    pub fn bench(&self, scripts: &[String]) -> Res<bool> {
        self.build_modules(Profile::Release)?;
        // the ubusd-compatible broker bench/ubus.lua calls through
        let mut u = Command::new(&self.cargo);
        u.args(["build", "--release", "-p", "eco-ubusd-test"]);
        run(u)?;
        let mut c = Command::new("bash");
        c.arg(self.root.join("bench/run.sh")).args(scripts);
        self.lua_env(&mut c);
        c.env("ECO_TEST_UBUSD", self.target.join("release/eco-ubusd-test"));
        c.env("ECO", self.eco_bin(Profile::Release));
        if let Some(l) = find_in_path("lua5.4") {
            c.env("LUA", l);
        }
        let lua = find_in_path("lua5.4");
        run(c)?;
        if !scripts.is_empty() {
            return Ok(true);
        }
        // TCP echo against a native epoll server (bench/echo.sh), with its Rust peers.
        let mut b = Command::new(&self.cargo);
        b.args(["build", "--release", "-p", "eco-bench-echo"]);
        run(b)?;
        let mut scripts = vec!["bench/echo.sh"];
        // HTTP hello world against nginx, when wrk and nginx are installed.
        if find_in_path("wrk").is_some() && find_in_path("nginx").is_some() {
            scripts.push("bench/http.sh");
        } else {
            eprintln!(
                "xtask: wrk or nginx not found, skipping bench/http.sh (apt-get install wrk nginx)"
            );
        }
        // MQTT publish throughput through mosquitto, when it is installed.
        if find_in_path("mosquitto_pub").is_some() {
            scripts.push("bench/mqtt.sh");
        } else {
            eprintln!("xtask: mosquitto-clients not found, skipping bench/mqtt.sh");
        }
        // eco.ssh against OpenSSH's scp, both to an sshd the script starts (needs root).
        if std::path::Path::new("/usr/sbin/sshd").exists() && find_in_path("scp").is_some() {
            scripts.push("bench/ssh.sh");
        } else {
            eprintln!("xtask: sshd or scp not found, skipping bench/ssh.sh (apt-get install openssh-server openssh-client)");
        }
        for script in scripts {
            let mut e = Command::new("bash");
            e.arg(self.root.join(script));
            self.lua_env(&mut e);
            e.env("ECO", self.eco_bin(Profile::Release));
            if let Some(l) = &lua {
                e.env("LUA", l);
            }
            run(e)?;
        }
        Ok(true)
    }
}
