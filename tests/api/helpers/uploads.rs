//! Streamed request bodies, and answers read off a raw connection.

use std::io::{Read, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::TestApp;

/// An HTTP/1.1 answer read off a connection whole (its head a byte at a time, calling
/// `first_byte` when the first one comes): its status and body; status 0 if the connection
/// ended before the answer did.
pub fn read_answer(stream: &mut std::net::TcpStream, first_byte: impl FnOnce()) -> (u16, String) {
    let mut first_byte = Some(first_byte);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return (0, String::from_utf8_lossy(&head).into_owned()),
        }
        if let Some(first_byte) = first_byte.take() {
            first_byte();
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let length = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|n| n.trim().to_string()))
        .and_then(|length| length.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let read = stream.read_exact(&mut body);
    (if read.is_ok() { status } else { 0 }, String::from_utf8_lossy(&body).into_owned())
}

/// What `chunked_upload` saw: the answer's status and body, and how many body bytes had been
/// sent when it came.
#[derive(Debug)]
pub struct Upload {
    pub status: u16,
    pub body: String,
    pub sent_before_answer: usize,
}

/// A `POST` to `path` whose body is `chunks`, sent with `Transfer-Encoding: chunked` and no
/// `Content-Length` by a thread of its own while this one waits for the answer, so that an
/// answer can come before the body ends. The sender stops at the answer, or at the first write
/// the server refuses; after the last chunk it ends the body if `ends`, else it leaves the
/// body open, as a client still sending would.
pub fn chunked_upload(
    app: &TestApp,
    path: &str,
    content_type: &str,
    chunks: impl Iterator<Item = Vec<u8>> + Send + 'static,
    ends: bool,
) -> Upload {
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    let _shared = app.turns.shared();
    let address = app.base.trim_start_matches("http://").to_string();
    let mut reader = std::net::TcpStream::connect(&address).unwrap();
    reader.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut writer = reader.try_clone().unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let sent = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicBool::new(false));
    let sender = {
        let (sent, answered) = (sent.clone(), answered.clone());
        std::thread::spawn(move || {
            if writer.write_all(head.as_bytes()).is_err() {
                return;
            }
            for chunk in chunks {
                let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                if answered.load(Ordering::SeqCst) || writer.write_all(&frame).is_err() {
                    return;
                }
                sent.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            if ends {
                let _ = writer.write_all(b"0\r\n\r\n");
            }
        })
    };
    let mut came = None;
    let (status, body) = read_answer(&mut reader, || {
        came = Some(sent.load(Ordering::SeqCst));
        answered.store(true, Ordering::SeqCst);
    });
    answered.store(true, Ordering::SeqCst);
    let _ = reader.shutdown(std::net::Shutdown::Both);
    sender.join().unwrap();
    let sent_before_answer = came.unwrap_or_else(|| sent.load(Ordering::SeqCst));
    Upload { status, body, sent_before_answer }
}
