//! `gate_stream`: a hostile gate peer.

use std::sync::OnceLock;

use sproto_rt::gate::{Connection, Event, FrameDecoder, PackageLayout};
use sproto_rt::Sproto;

/// skynet's example `c2s` schema (`examples/proto.lua`).
const C2S: &str = ".package { type 0 : integer  session 1 : integer }
handshake 1 { response { msg 0 : string } }
get 2 { request { what 0 : string } response { result 0 : string } }
set 3 { request { what 0 : string  value 1 : string } }
quit 4 {}";

fn schema() -> &'static Sproto {
    static SP: OnceLock<Sproto> = OnceLock::new();
    SP.get_or_init(|| Sproto::parse(C2S).expect("the example schema parses"))
}

/// Arbitrary bytes through the gate's frame decoder (in odd-sized chunks, so frames
/// split across reads), each package through a connection's header reading, and each
/// request or response body through the dynamic decoder of skynet's example `c2s`
/// schema. Nothing may panic, hang or allocate without bound; the frame decoder hands
/// out every byte it was given, once.
pub fn gate_stream(data: &[u8]) {
    let mut frames = FrameDecoder::new();
    let mut conn = Connection::new(PackageLayout::default());
    let _ = conn.request(2, &[], true);
    let mut consumed = 0;
    for chunk in data.chunks(37) {
        frames.extend(chunk);
        while let Some(package) = frames.next_package() {
            consumed += 2 + package.len();
            let package = package.to_vec();
            match conn.handle_package(&package) {
                Ok(Some(Event::Request { tag, body, .. })) => {
                    let _ = schema().request_decode(tag, &body);
                }
                Ok(Some(Event::Response { tag, body, .. })) => {
                    let _ = schema().response_decode(tag, &body);
                }
                _ => {}
            }
        }
    }
    assert_eq!(
        consumed + frames.buffered(),
        data.len(),
        "the frame decoder lost or invented bytes"
    );
}
