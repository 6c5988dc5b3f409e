//! Bytes and CPU time of each candidate compression level on one response body
//! (bench/compression.sh fetches a list page and runs this on it):
//!
//!   cargo run --release --example compression_levels -- body.json
use std::io::Write;
use std::time::Instant;

fn gzip(body: &[u8], level: u32) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    w.write_all(body).expect("in memory");
    w.finish().expect("in memory")
}

fn br(body: &[u8], level: u32) -> Vec<u8> {
    let mut w = brotli::CompressorWriter::new(Vec::new(), 4096, level, 22);
    w.write_all(body).expect("in memory");
    w.into_inner()
}

fn zstd(body: &[u8], level: i32) -> Vec<u8> {
    zstd::bulk::compress(body, level).expect("in memory")
}

type Encoder = Box<dyn Fn(&[u8]) -> Vec<u8>>;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: compression_levels FILE");
    let body = std::fs::read(&path).expect("readable file");
    let candidates: Vec<(&str, Encoder)> = vec![
        ("gzip 1", Box::new(|b| gzip(b, 1))),
        ("gzip 6", Box::new(|b| gzip(b, 6))),
        ("br 1", Box::new(|b| br(b, 1))),
        ("br 3 (actix Compress)", Box::new(|b| br(b, 3))),
        ("br 4", Box::new(|b| br(b, 4))),
        ("br 5", Box::new(|b| br(b, 5))),
        ("br 11", Box::new(|b| br(b, 11))),
        ("zstd 1", Box::new(|b| zstd(b, 1))),
        ("zstd 3", Box::new(|b| zstd(b, 3))),
    ];
    println!("| coding and level | bytes | ratio | CPU per body |");
    println!("| --- | ---: | ---: | ---: |");
    println!("| identity | {} | 1.000 | - |", body.len());
    for (name, f) in candidates {
        let out = f(&body);
        let runs = 200;
        let start = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(f(std::hint::black_box(&body)));
        }
        let per = start.elapsed() / runs;
        println!(
            "| {name} | {} | {:.3} | {:.0} us |",
            out.len(),
            out.len() as f64 / body.len() as f64,
            per.as_secs_f64() * 1e6
        );
    }
}
