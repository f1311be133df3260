//! Places on the Earth for the directory: coordinates, great-circle distance, the box that
//! holds a search circle (so an index can narrow candidates before measuring), and the search
//! radius people choose.

use std::fmt;

/// Mean Earth radius in kilometres (IUGG), good to about 0.5% for great-circle distances.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Kilometres per degree of latitude.
const KM_PER_DEGREE: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

/// A point: latitude −90..=90, longitude −180..=180, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    lat: f64,
    lon: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GeoError {
    #[error("latitude must be between -90 and 90 degrees")]
    Latitude,
    #[error("longitude must be between -180 and 180 degrees")]
    Longitude,
}

impl Coordinates {
    pub fn new(lat: f64, lon: f64) -> Result<Coordinates, GeoError> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(GeoError::Latitude);
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(GeoError::Longitude);
        }
        Ok(Coordinates { lat, lon })
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Great-circle distance in kilometres (haversine, stable for short distances).
    pub fn distance_km(self, other: Coordinates) -> f64 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// The latitude/longitude box that holds every point within a radius of a centre. Near a
/// pole the box spans all longitudes; across the antimeridian `min_lon > max_lon` (the box
/// wraps), which [`BoundingBox::contains`] understands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

impl BoundingBox {
    pub fn around(centre: Coordinates, radius_km: f64) -> BoundingBox {
        let dlat = radius_km / KM_PER_DEGREE;
        let min_lat = (centre.lat - dlat).max(-90.0);
        let max_lat = (centre.lat + dlat).min(90.0);
        // The widest circle of latitude inside the box decides the longitude span.
        let widest = min_lat.abs().max(max_lat.abs());
        if widest >= 89.9 {
            return BoundingBox {
                min_lat,
                max_lat,
                min_lon: -180.0,
                max_lon: 180.0,
            };
        }
        let dlon = dlat / widest.to_radians().cos();
        if dlon >= 180.0 {
            return BoundingBox {
                min_lat,
                max_lat,
                min_lon: -180.0,
                max_lon: 180.0,
            };
        }
        let wrap = |lon: f64| {
            if lon < -180.0 {
                lon + 360.0
            } else if lon > 180.0 {
                lon - 360.0
            } else {
                lon
            }
        };
        BoundingBox {
            min_lat,
            max_lat,
            min_lon: wrap(centre.lon - dlon),
            max_lon: wrap(centre.lon + dlon),
        }
    }

    /// Whether the box wraps across the antimeridian (±180°).
    pub fn wraps(&self) -> bool {
        self.min_lon > self.max_lon
    }

    pub fn contains(&self, point: Coordinates) -> bool {
        let lat_ok = (self.min_lat..=self.max_lat).contains(&point.lat);
        let lon_ok = if self.wraps() {
            point.lon >= self.min_lon || point.lon <= self.max_lon
        } else {
            (self.min_lon..=self.max_lon).contains(&point.lon)
        };
        lat_ok && lon_ok
    }
}

/// A search radius in whole kilometres, 1 to [`Radius::MAX_KM`]: wide enough for rural areas,
/// narrow enough that a search stays cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Radius(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RadiusError(String);

impl Radius {
    pub const MAX_KM: u16 = 500;
    pub const DEFAULT_KM: u16 = 25;

    pub fn parse(text: &str) -> Result<Radius, RadiusError> {
        let text = text.trim().trim_end_matches("km").trim();
        let km: u32 = text.parse().map_err(|_| {
            RadiusError(format!(
                "Enter the distance in whole kilometres, from 1 to {}.",
                Radius::MAX_KM
            ))
        })?;
        if km == 0 || km > u32::from(Radius::MAX_KM) {
            return Err(RadiusError(format!(
                "Choose a distance from 1 to {} km.",
                Radius::MAX_KM
            )));
        }
        Ok(Radius(km as u16))
    }

    pub fn km(self) -> u16 {
        self.0
    }
}

impl Default for Radius {
    fn default() -> Self {
        Radius(Radius::DEFAULT_KM)
    }
}

impl fmt::Display for Radius {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} km", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> Coordinates {
        Coordinates::new(lat, lon).unwrap()
    }

    #[test]
    fn distances_match_known_figures() {
        // New York City to Los Angeles: about 3,936 km on the great circle.
        let d = at(40.7128, -74.0060).distance_km(at(34.0522, -118.2437));
        assert!((d - 3936.0).abs() < 10.0, "{d}");
        // London to Paris: about 344 km.
        let d = at(51.5074, -0.1278).distance_km(at(48.8566, 2.3522));
        assert!((d - 344.0).abs() < 3.0, "{d}");
        assert_eq!(at(10.0, 10.0).distance_km(at(10.0, 10.0)), 0.0);
        // Across the antimeridian the short way round.
        let d = at(0.0, 179.5).distance_km(at(0.0, -179.5));
        assert!((d - 111.2).abs() < 1.0, "{d}");
    }

    #[test]
    fn out_of_range_coordinates_are_refused() {
        assert_eq!(Coordinates::new(91.0, 0.0), Err(GeoError::Latitude));
        assert_eq!(Coordinates::new(0.0, 180.5), Err(GeoError::Longitude));
        assert_eq!(Coordinates::new(f64::NAN, 0.0), Err(GeoError::Latitude));
    }

    #[test]
    fn the_box_holds_every_point_of_the_circle() {
        for (lat, lon) in [(40.7, -74.0), (64.1, -21.9), (-33.9, 151.2), (0.0, 179.9), (89.5, 0.0)] {
            let centre = at(lat, lon);
            let radius = 100.0;
            let bbox = BoundingBox::around(centre, radius);
            for step in 0..72 {
                let bearing = f64::from(step) * 5.0_f64.to_radians();
                // A point at the edge of the circle (destination formula).
                let d = radius / EARTH_RADIUS_KM * 0.999;
                let (phi1, l1) = (lat.to_radians(), lon.to_radians());
                let phi2 = (phi1.sin() * d.cos() + phi1.cos() * d.sin() * bearing.cos()).asin();
                let l2 = l1 + (bearing.sin() * d.sin() * phi1.cos()).atan2(d.cos() - phi1.sin() * phi2.sin());
                let mut lon2 = l2.to_degrees();
                if lon2 > 180.0 {
                    lon2 -= 360.0;
                }
                if lon2 < -180.0 {
                    lon2 += 360.0;
                }
                let edge = at(phi2.to_degrees().clamp(-90.0, 90.0), lon2);
                assert!(centre.distance_km(edge) <= radius);
                assert!(
                    bbox.contains(edge),
                    "({lat}, {lon}) bearing {step}: {edge:?} outside {bbox:?}"
                );
            }
        }
        assert!(BoundingBox::around(at(0.0, 179.9), 100.0).wraps());
        assert!(!BoundingBox::around(at(0.0, 179.9), 100.0).contains(at(0.0, 0.0)));
    }

    #[test]
    fn radius_is_parsed_with_a_message_for_people() {
        assert_eq!(Radius::parse("25").unwrap().km(), 25);
        assert_eq!(Radius::parse(" 40 km").unwrap().km(), 40);
        assert_eq!(Radius::default().to_string(), "25 km");
        assert!(Radius::parse("0").unwrap_err().to_string().contains("from 1 to 500"));
        assert!(Radius::parse("501").is_err());
        assert!(
            Radius::parse("ten")
                .unwrap_err()
                .to_string()
                .contains("whole kilometres")
        );
        assert!(Radius::parse("-5").is_err());
    }
}
