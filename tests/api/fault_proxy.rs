//! A TCP proxy in front of the real PostgreSQL that a test can turn into an outage, so the
//! database itself is never stopped: `Forward` passes bytes both ways, `Refuse` closes every
//! connection (open ones too: a database restart), `Stall` holds every connection open and
//! moves no byte (a network partition). Stalled connections resume when forwarding resumes.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bytes flow both ways.
    Forward,
    /// Connections are closed as soon as they are accepted, and open ones are closed.
    Refuse,
    /// Connections are accepted and held; nothing flows.
    Stall,
}

/// A running proxy; dropping it closes every connection.
pub struct FaultProxy {
    address: SocketAddr,
    mode: watch::Sender<Mode>,
    accept_loop: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port, forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (mode, watched) = watch::channel(Mode::Forward);
        let accept_loop = tokio::spawn(accept(listener, upstream, watched));
        FaultProxy {
            address,
            mode,
            accept_loop,
        }
    }

    /// Where clients connect.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Switches every connection, open and new, to `mode`.
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // The accept loop owns the connection tasks: aborting it drops (closes) them all.
        self.accept_loop.abort();
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, mode: watch::Receiver<Mode>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        while connections.try_join_next().is_some() {}
        if *mode.borrow() == Mode::Refuse {
            drop(client);
            continue;
        }
        connections.spawn(pipe(client, upstream, mode.clone()));
    }
}

/// Moves bytes between the client and a fresh upstream connection while the mode allows.
async fn pipe(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    if !wait_for_forward(&mut mode).await {
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let mut from_client = vec![0u8; 16 * 1024];
    let mut from_server = vec![0u8; 16 * 1024];
    loop {
        if !wait_for_forward(&mut mode).await {
            return;
        }
        tokio::select! {
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            read = client_read.read(&mut from_client) => match read {
                Ok(n) if n > 0 => {
                    if server_write.write_all(&from_client[..n]).await.is_err() {
                        return;
                    }
                }
                _ => return,
            },
            read = server_read.read(&mut from_server) => match read {
                Ok(n) if n > 0 => {
                    if client_write.write_all(&from_server[..n]).await.is_err() {
                        return;
                    }
                }
                _ => return,
            },
        }
    }
}

/// Waits while stalled; `true` to forward, `false` to close.
async fn wait_for_forward(mode: &mut watch::Receiver<Mode>) -> bool {
    loop {
        match *mode.borrow_and_update() {
            Mode::Forward => return true,
            Mode::Refuse => return false,
            Mode::Stall => {}
        }
        if mode.changed().await.is_err() {
            return false;
        }
    }
}
