//! Geo without extensions: great-circle distances (haversine) and the bounding
//! box that prefilters a radius search on indexed lat/lon columns.

/// Mean Earth radius (IUGG), km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

/// A box of min/max latitude and longitude (no antimeridian crossing in Belarus'
/// part of the world; a box that would cross it is clamped).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

impl BBox {
    pub fn contains(&self, p: Point) -> bool {
        p.lat >= self.min_lat
            && p.lat <= self.max_lat
            && p.lon >= self.min_lon
            && p.lon <= self.max_lon
    }

    pub fn intersect(&self, o: &BBox) -> BBox {
        BBox {
            min_lat: self.min_lat.max(o.min_lat),
            min_lon: self.min_lon.max(o.min_lon),
            max_lat: self.max_lat.min(o.max_lat),
            max_lon: self.max_lon.min(o.max_lon),
        }
    }
}

/// Great-circle distance in km.
pub fn haversine_km(a: Point, b: Point) -> f64 {
    haversine_from(a)(b)
}

/// `haversine_km` from `a` to each point it is given, with `a`'s cosine
/// computed once (the same operations, so the same values).
pub fn haversine_from(a: Point) -> impl Fn(Point) -> f64 {
    let p1 = a.lat.to_radians();
    let cos_p1 = p1.cos();
    move |b: Point| {
        let p2 = b.lat.to_radians();
        let dp = p2 - p1;
        let dl = (b.lon - a.lon).to_radians();
        let h = (dp / 2.0).sin().powi(2) + cos_p1 * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }
}

/// A box that contains every point within `radius_km` of `c`.
pub fn bbox_around(c: Point, radius_km: f64) -> BBox {
    let dlat = (radius_km / EARTH_RADIUS_KM).to_degrees();
    let max_lat = (c.lat + dlat).min(90.0);
    let min_lat = (c.lat - dlat).max(-90.0);
    // Longitude degrees shrink with latitude; use the latitude nearest a pole.
    let widest = max_lat.abs().max(min_lat.abs()).to_radians().cos();
    let dlon = if widest < 1e-6 {
        180.0
    } else {
        ((radius_km / EARTH_RADIUS_KM).sin() / widest)
            .clamp(-1.0, 1.0)
            .asin()
            .to_degrees()
    };
    let dlon = if dlon.is_nan() || max_lat >= 90.0 || min_lat <= -90.0 {
        180.0
    } else {
        dlon
    };
    BBox {
        min_lat,
        max_lat,
        min_lon: (c.lon - dlon).max(-180.0),
        max_lon: (c.lon + dlon).min(180.0),
    }
}

/// Grid cells are 0.1 degree in latitude and longitude.
const CELLS_PER_DEGREE: f64 = 10.0;
const CELL_COLUMNS: i32 = 3601;

fn cell_row(lat: f64) -> i32 {
    ((lat.clamp(-90.0, 90.0) + 90.0) * CELLS_PER_DEGREE).floor() as i32
}

fn cell_col(lon: f64) -> i32 {
    ((lon.clamp(-180.0, 180.0) + 180.0) * CELLS_PER_DEGREE).floor() as i32
}

/// The grid cell of a point: an integer that an ordinary index can search, so a
/// radius search reads only the cells its box touches (no database extension).
pub fn cell(p: Point) -> i32 {
    cell_row(p.lat) * CELL_COLUMNS + cell_col(p.lon)
}

/// The cells a box touches; `None` when there are so many that a plain range
/// scan is as good (about a 150 km radius and more).
pub fn cells(b: &BBox) -> Option<Vec<i32>> {
    let (r0, r1) = (cell_row(b.min_lat), cell_row(b.max_lat));
    let (c0, c1) = (cell_col(b.min_lon), cell_col(b.max_lon));
    if (r1 - r0 + 1) * (c1 - c0 + 1) > 1500 {
        return None;
    }
    Some(
        (r0..=r1)
            .flat_map(|r| (c0..=c1).map(move |c| r * CELL_COLUMNS + c))
            .collect(),
    )
}

/// The cells a box touches as runs of consecutive cell numbers, one per row
/// of cells (first and last cell of each), however large the box: what an
/// in-memory grid sorted by cell reads (see `db::geo::grid`).
pub fn cell_runs(b: &BBox) -> impl Iterator<Item = (i32, i32)> {
    let (c0, c1) = (cell_col(b.min_lon), cell_col(b.max_lon));
    (cell_row(b.min_lat)..=cell_row(b.max_lat))
        .map(move |r| (r * CELL_COLUMNS + c0, r * CELL_COLUMNS + c1))
}

/// Distances are shown to 0.01 km.
pub fn round_km(d: f64) -> f64 {
    (d * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINSK: Point = Point {
        lat: 53.9006,
        lon: 27.5590,
    };
    const BREST: Point = Point {
        lat: 52.0976,
        lon: 23.7341,
    };

    #[test]
    fn distances_match_independently_computed_values() {
        // Expected values computed separately (Python, same sphere radius).
        assert!(
            (haversine_km(MINSK, BREST) - 325.06).abs() < 0.1,
            "{}",
            haversine_km(MINSK, BREST)
        );
        let mir = Point {
            lat: 53.4511,
            lon: 26.4728,
        };
        assert!(
            (haversine_km(MINSK, mir) - 87.27).abs() < 0.1,
            "{}",
            haversine_km(MINSK, mir)
        );
        assert_eq!(haversine_km(MINSK, MINSK), 0.0);
    }

    #[test]
    fn a_point_lies_in_one_of_the_cells_of_any_box_around_it() {
        let b = bbox_around(MINSK, 25.0);
        let cells = cells(&b).unwrap();
        assert!(cells.contains(&cell(MINSK)));
        assert!(cells.len() <= 80, "{}", cells.len());
        assert!(
            super::cells(&bbox_around(MINSK, 500.0)).is_none(),
            "huge boxes fall back to a range scan"
        );
        assert_ne!(cell(MINSK), cell(BREST));
    }

    #[test]
    fn bbox_around_contains_the_whole_circle() {
        for r in [1.0, 25.0, 500.0] {
            let b = bbox_around(MINSK, r);
            for i in 0..360 {
                let a = (i as f64).to_radians();
                // Walk to the circle's edge along bearing a, just inside.
                let d = (r * 0.999) / EARTH_RADIUS_KM;
                let (lat1, lon1) = (MINSK.lat.to_radians(), MINSK.lon.to_radians());
                let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * a.cos()).asin();
                let lon2 = lon1
                    + (a.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
                let p = Point {
                    lat: lat2.to_degrees(),
                    lon: lon2.to_degrees(),
                };
                assert!(b.contains(p), "r={r} bearing={i}: {p:?} outside {b:?}");
            }
        }
    }
}
