//! An in-memory grid of located entries, built once from a table's rows: the
//! entries sorted by grid cell (`geo::cell`), so that those of a box are one
//! contiguous run per row of cells, each found by two binary searches. A
//! radius search then reads no database rows for its candidates (see
//! `resources::places::index`).

use crate::geo::{cell, cell_runs, BBox, Point};

pub struct Grid<T> {
    /// The cell of each entry, ascending.
    cells: Vec<i32>,
    points: Vec<Point>,
    items: Vec<T>,
}

impl<T> Grid<T> {
    pub fn new(mut entries: Vec<(Point, T)>) -> Self {
        entries.sort_by_cached_key(|(p, _)| cell(*p));
        let cells = entries.iter().map(|(p, _)| cell(*p)).collect();
        let (points, items) = entries.into_iter().unzip();
        Grid {
            cells,
            points,
            items,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The entries whose point lies in `b`, bounds included (as SQL's `BETWEEN`).
    pub fn in_box<'a>(&'a self, b: &BBox) -> impl Iterator<Item = (Point, &'a T)> + 'a {
        let b = *b;
        cell_runs(&b)
            .filter(|(first, last)| first <= last)
            .flat_map(move |(first, last)| {
                let start = self.cells.partition_point(|c| *c < first);
                let end = start + self.cells[start..].partition_point(|c| *c <= last);
                start..end
            })
            .map(move |i| (self.points[i], &self.items[i]))
            .filter(move |(p, _)| b.contains(*p))
    }

    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    /// Heap bytes of the grid itself (not of what `T` points to).
    pub fn heap_bytes(&self) -> usize {
        self.cells.capacity() * std::mem::size_of::<i32>()
            + self.points.capacity() * std::mem::size_of::<Point>()
            + self.items.capacity() * std::mem::size_of::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::bbox_around;

    #[test]
    fn a_box_finds_exactly_the_entries_inside_it() {
        // A lattice over Belarus, 0.037 degrees apart (not aligned with cells).
        let mut entries = Vec::new();
        for i in 0..130 {
            for j in 0..255 {
                let p = Point {
                    lat: 51.3 + i as f64 * 0.037,
                    lon: 23.3 + j as f64 * 0.037,
                };
                entries.push((p, entries.len()));
            }
        }
        let grid = Grid::new(entries.clone());
        assert_eq!(grid.len(), entries.len());
        let minsk = Point {
            lat: 53.9006,
            lon: 27.5590,
        };
        for r in [0.5, 5.0, 25.0, 100.0, 400.0] {
            let b = bbox_around(minsk, r);
            let mut found: Vec<usize> = grid.in_box(&b).map(|(_, i)| *i).collect();
            found.sort_unstable();
            let expected: Vec<usize> = entries
                .iter()
                .filter(|(p, _)| b.contains(*p))
                .map(|(_, i)| *i)
                .collect();
            assert_eq!(found, expected, "radius {r}");
        }
        let empty = BBox {
            min_lat: 54.0,
            max_lat: 53.0,
            min_lon: 27.0,
            max_lon: 28.0,
        };
        assert_eq!(grid.in_box(&empty).count(), 0);
    }
}
