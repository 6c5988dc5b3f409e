//! Demo places from `places.json` (written for this project): top tourist sites,
//! UNESCO listings, sanatoria, war monuments and souvenirs.

use diesel::prelude::*;
use serde::Deserialize;

use crate::db::schema::{place_terms, places};
use crate::db::{self, AnyConnection};
use crate::domain::Image;
use crate::error::{AppError, AppResult};
use crate::resource::PlaceKind;
use crate::resources::places::monuments::MonumentDetails;

use crate::resources::places::sanatoria::{Price, SanatoriumDetails};
use crate::resources::places::tourist_sites::TouristDetails;
use crate::resources::places::unesco_sites::UnescoDetails;
use crate::resources::places::PlaceForm;
use crate::resources::regions::Location;

#[derive(Debug, Deserialize)]
struct Seed {
    slug: String,
    name: String,
    summary: String,
    description_html: String,
    region: Option<String>,
    #[serde(default)]
    origin_region: Option<String>,
    locality: Option<String>,
    address: Option<String>,
    location: Option<Location>,
    image: Option<Image>,
    #[serde(default)]
    gallery: Vec<Image>,
    website: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    /// Other names (spellings, scripts, exonyms), copied to the translations.
    #[serde(default)]
    aliases: Vec<String>,
    category: Option<String>,
    // tourist sites
    rank: Option<i32>,
    opening_hours: Option<String>,
    admission: Option<String>,
    // UNESCO
    unesco_id: Option<i32>,
    status: Option<String>,
    #[serde(default)]
    criteria: Vec<String>,
    year_inscribed: Option<i32>,
    year_submitted: Option<i32>,
    #[serde(default)]
    transboundary: bool,
    #[serde(default)]
    countries: Vec<String>,
    area_ha: Option<f64>,
    buffer_zone_ha: Option<f64>,
    tourist_site: Option<String>,
    // sanatoria
    #[serde(default)]
    profiles: Vec<String>,
    #[serde(default)]
    treatments: Vec<String>,
    capacity_beds: Option<i32>,
    #[serde(default)]
    open_all_year: bool,
    #[serde(default)]
    accepts_children: bool,
    price_from: Option<Price>,
    // monuments
    kind: Option<String>,
    year_unveiled: Option<i32>,
    commemorates: Option<String>,
    // souvenirs
    #[serde(default)]
    materials: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Seeds {
    tourist_sites: Vec<Seed>,
    unesco_sites: Vec<Seed>,
    sanatoria: Vec<Seed>,
    monuments: Vec<Seed>,
    souvenirs: Vec<Seed>,
}

/// A demo place row: the places' write form and its creation time.
#[derive(Insertable)]
#[diesel(table_name = places)]
pub struct NewPlace {
    #[diesel(embed)]
    pub form: PlaceForm,
    pub created_at: chrono::NaiveDateTime,
}

fn to_json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("demo places: {e}")))
}

/// Inserts a place with its terms and makes it its own translation group.
pub fn insert_place(
    conn: &mut AnyConnection,
    new: &NewPlace,
    terms: &[(&str, &[String])],
) -> AppResult<i64> {
    let id: i64 = diesel::insert_into(places::table)
        .values(new)
        .returning(places::id)
        .get_result(conn)?;
    if new.form.group_id == 0 {
        diesel::update(places::table.find(id))
            .set(places::group_id.eq(id))
            .execute(conn)?;
    }
    for (term, values) in terms {
        for (i, v) in values.iter().enumerate() {
            diesel::insert_into(place_terms::table)
                .values((
                    place_terms::place_id.eq(id),
                    place_terms::term.eq(*term),
                    place_terms::value.eq(v),
                    place_terms::position.eq(i as i32),
                ))
                .execute(conn)?;
        }
    }
    Ok(id)
}

/// Loads the demo places when the database holds none. Returns how many.
pub fn load_demo_places(conn: &mut AnyConnection) -> AppResult<usize> {
    let seeds: Seeds = serde_json::from_str(include_str!("places.json"))
        .map_err(|e| AppError::Internal(format!("demo places: {e}")))?;
    conn.transaction(|conn| {
        let have: i64 = places::table.count().get_result(conn)?;
        if have > 0 {
            return Ok(0);
        }
        let now = db::now();
        let mut n = 0;
        let groups = [
            (PlaceKind::TouristSite, &seeds.tourist_sites),
            (PlaceKind::UnescoSite, &seeds.unesco_sites),
            (PlaceKind::Sanatorium, &seeds.sanatoria),
            (PlaceKind::Monument, &seeds.monuments),
            (PlaceKind::Souvenir, &seeds.souvenirs),
        ];
        for (kind, list) in groups {
            for s in list.iter() {
                let details = match kind {
                    PlaceKind::TouristSite => to_json(&TouristDetails {
                        rank: s.rank,
                        opening_hours: s.opening_hours.clone(),
                        admission: s.admission.clone(),
                    })?,
                    PlaceKind::UnescoSite => {
                        let tourist_site_group: Option<i64> = match &s.tourist_site {
                            Some(slug) => places::table
                                .filter(places::kind.eq(PlaceKind::TouristSite.as_str()))
                                .filter(places::locale.eq("en"))
                                .filter(places::slug.eq(slug))
                                .select(places::group_id)
                                .first(conn)
                                .optional()?,
                            None => None,
                        };
                        to_json(&UnescoDetails {
                            unesco_id: s.unesco_id,
                            year_inscribed: s.year_inscribed,
                            year_submitted: s.year_submitted,
                            transboundary: s.transboundary,
                            area_ha: s.area_ha,
                            buffer_zone_ha: s.buffer_zone_ha,
                            tourist_site_group,
                        })?
                    }
                    PlaceKind::Sanatorium => to_json(&SanatoriumDetails {
                        capacity_beds: s.capacity_beds,
                        open_all_year: s.open_all_year,
                        accepts_children: s.accepts_children,
                        price_from: s.price_from.clone(),
                    })?,
                    PlaceKind::Monument => to_json(&MonumentDetails {
                        year_unveiled: s.year_unveiled,
                        commemorates: s.commemorates.clone(),
                    })?,
                    PlaceKind::Souvenir => "{}".to_string(),
                };
                let form = PlaceForm {
                    group_id: 0,
                    kind: kind.as_str().into(),
                    locale: "en".into(),
                    slug: s.slug.clone(),
                    name: s.name.clone(),
                    summary: s.summary.clone(),
                    description_html: crate::editorial::sanitize_html(&s.description_html),
                    region: s.region.clone().or(s.origin_region.clone()),
                    locality: s.locality.clone(),
                    address: s.address.clone(),
                    lat: s.location.map(|l| l.lat),
                    lon: s.location.map(|l| l.lon),
                    geo_cell: s.location.map(|l| {
                        crate::geo::cell(crate::geo::Point {
                            lat: l.lat,
                            lon: l.lon,
                        })
                    }),
                    image: s.image.as_ref().map(to_json).transpose()?,
                    gallery: to_json(&s.gallery)?,
                    website: s.website.clone(),
                    phone: s.phone.clone(),
                    email: s.email.clone(),
                    category: if kind == PlaceKind::Monument {
                        s.kind.clone()
                    } else {
                        s.category.clone()
                    },
                    rank_order: s.rank.unwrap_or(i32::MAX),
                    listing_status: if kind == PlaceKind::UnescoSite {
                        s.status.clone()
                    } else {
                        None
                    },
                    details,
                    status: "published".into(),
                    published_at: Some(now),
                    updated_at: now,
                };
                let new = NewPlace {
                    form,
                    created_at: now,
                };
                insert_place(
                    conn,
                    &new,
                    &[
                        ("tag", &s.tags),
                        (crate::domain::PLACE_ALIAS_TERM, &s.aliases),
                        ("criterion", &s.criteria),
                        ("country", &s.countries),
                        ("profile", &s.profiles),
                        ("treatment", &s.treatments),
                        ("material", &s.materials),
                    ],
                )?;
                n += 1;
            }
        }
        Ok(n)
    })
}
