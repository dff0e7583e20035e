//! A hostile gate peer: arbitrary bytes through the frame decoder, each package through
//! a connection's header reading, and each request body through the dynamic decoder of
//! skynet's example `c2s` schema. Nothing may panic, hang or allocate without bound.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sproto_rt::gate::{Connection, Event, FrameDecoder, PackageLayout};
use sproto_rt::Sproto;

const C2S: &str = ".package { type 0 : integer  session 1 : integer }
handshake 1 { response { msg 0 : string } }
get 2 { request { what 0 : string } response { result 0 : string } }
set 3 { request { what 0 : string  value 1 : string } }
quit 4 {}";

fn schema() -> &'static Sproto {
    static SP: OnceLock<Sproto> = OnceLock::new();
    SP.get_or_init(|| Sproto::parse(C2S).expect("the example schema parses"))
}

fuzz_target!(|data: &[u8]| {
    let mut frames = FrameDecoder::new();
    let mut conn = Connection::new(PackageLayout::default());
    let _ = conn.request(2, &[], true);
    // Odd-sized chunks exercise frames split across reads.
    for chunk in data.chunks(37) {
        frames.extend(chunk);
        while let Some(package) = frames.next_package() {
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
});
