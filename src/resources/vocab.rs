//! Controlled vocabularies: each is a Rust enum (so the OpenAPI spec shows it as
//! an enum) with its wire names, and a parser that answers an unknown value
//! with a 400 listing the allowed ones.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

macro_rules! vocab {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($wire),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn from_wire(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }

            /// A filter value: an unknown one is a 400 naming the allowed values.
            pub fn parse_param(field: &str, s: &str) -> AppResult<&'static str> {
                Self::from_wire(s.trim()).map(Self::as_str).ok_or_else(|| {
                    AppError::bad_param(
                        field,
                        format!("unknown value `{s}`; allowed: {}", Self::ALL.join(", ")),
                    )
                })
            }
        }
    };
}

vocab!(
    /// The six regions and Minsk city.
    RegionSlug {
        Brest = "brest",
        Vitebsk = "vitebsk",
        Gomel = "gomel",
        Grodno = "grodno",
        MinskRegion = "minsk-region",
        Mogilev = "mogilev",
        MinskCity = "minsk-city",
    }
);

vocab!(
    /// Category of a tourist site.
    TouristCategory {
        Castle = "castle",
        Palace = "palace",
        Museum = "museum",
        Church = "church",
        Monastery = "monastery",
        Memorial = "memorial",
        NatureReserve = "nature_reserve",
        NationalPark = "national_park",
        Lake = "lake",
        Estate = "estate",
        City = "city",
        Other = "other",
    }
);

vocab!(
    /// World Heritage List status.
    UnescoStatus {
        Inscribed = "inscribed",
        Tentative = "tentative",
    }
);

vocab!(
    /// World Heritage category.
    UnescoCategory {
        Cultural = "cultural",
        Natural = "natural",
        Mixed = "mixed",
    }
);

vocab!(
    /// World Heritage selection criteria i-x.
    UnescoCriterion {
        I = "i",
        Ii = "ii",
        Iii = "iii",
        Iv = "iv",
        V = "v",
        Vi = "vi",
        Vii = "vii",
        Viii = "viii",
        Ix = "ix",
        X = "x",
    }
);

vocab!(
    /// Medical profile of a sanatorium.
    MedicalProfile {
        Cardiovascular = "cardiovascular",
        Musculoskeletal = "musculoskeletal",
        Respiratory = "respiratory",
        Digestive = "digestive",
        NervousSystem = "nervous_system",
        Endocrine = "endocrine",
        Urological = "urological",
        Gynecological = "gynecological",
        Skin = "skin",
    }
);

vocab!(
    /// Treatment offered by a sanatorium.
    Treatment {
        MineralWater = "mineral_water",
        MudTherapy = "mud_therapy",
        RadonBaths = "radon_baths",
        Speleotherapy = "speleotherapy",
        Hydrotherapy = "hydrotherapy",
        Physiotherapy = "physiotherapy",
        Climatotherapy = "climatotherapy",
        Massage = "massage",
    }
);

vocab!(
    /// Kind of a Great Patriotic War monument.
    MonumentKind {
        MemorialComplex = "memorial_complex",
        Monument = "monument",
        Obelisk = "obelisk",
        MassGrave = "mass_grave",
        Other = "other",
    }
);

vocab!(
    /// Category of a souvenir.
    SouvenirCategory {
        Textiles = "textiles",
        Straw = "straw",
        Ceramics = "ceramics",
        Wood = "wood",
        Paper = "paper",
        Food = "food",
        Drinks = "drinks",
        Jewelry = "jewelry",
        Other = "other",
    }
);

vocab!(
    /// Category of an event.
    EventCategory {
        Festival = "festival",
        Concert = "concert",
        Exhibition = "exhibition",
        Theatre = "theatre",
        Sport = "sport",
        Fair = "fair",
        Holiday = "holiday",
        Conference = "conference",
        Other = "other",
    }
);

vocab!(
    /// Whether an event takes place as announced.
    EventStatus {
        Scheduled = "scheduled",
        Cancelled = "cancelled",
        Postponed = "postponed",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_rejected_with_the_allowed_list() {
        assert_eq!(
            TouristCategory::parse_param("category", "castle").unwrap(),
            "castle"
        );
        let e = TouristCategory::parse_param("category", "spaceport").unwrap_err();
        assert!(e.to_string().contains("nature_reserve"));
        assert_eq!(UnescoCriterion::ALL.len(), 10);
        assert_eq!(
            RegionSlug::from_wire("minsk-city"),
            Some(RegionSlug::MinskCity)
        );
    }
}
