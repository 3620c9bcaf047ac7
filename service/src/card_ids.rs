//! Where card and suggestion uuids come from. The rules' output has none (it is a pure function
//! of facts and configuration); the edge gives each card and suggestion its uuid when it renders
//! the response: random (v4) when serving, a seeded sequence where a test or a snapshot needs
//! the same answer twice.

use uuid::Uuid;

/// A source of card and suggestion uuids.
#[derive(Debug, Clone)]
pub enum UuidSource {
    /// Random v4 uuids: what the service sends EHRs.
    Random,
    /// A reproducible sequence of v4-shaped uuids from a seed (splitmix64).
    Seeded(u64),
}

impl UuidSource {
    /// A reproducible sequence starting from `seed`.
    pub fn seeded(seed: u64) -> UuidSource {
        UuidSource::Seeded(seed)
    }

    /// The next uuid.
    pub fn next_uuid(&mut self) -> Uuid {
        match self {
            UuidSource::Random => Uuid::new_v4(),
            UuidSource::Seeded(state) => {
                let high = splitmix64(state);
                let low = splitmix64(state);
                let bytes = (u128::from(high) << 64 | u128::from(low)).to_be_bytes();
                uuid::Builder::from_random_bytes(bytes).into_uuid()
            }
        }
    }
}

/// One step of splitmix64: a tiny, well-mixed generator, enough for test identifiers.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_distinct_v4_uuids_every_time() {
        let mut first = UuidSource::seeded(7);
        let mut second = UuidSource::seeded(7);
        let a: Vec<Uuid> = (0..50).map(|_| first.next_uuid()).collect();
        let b: Vec<Uuid> = (0..50).map(|_| second.next_uuid()).collect();
        assert_eq!(a, b);
        let distinct: std::collections::HashSet<_> = a.iter().collect();
        assert_eq!(distinct.len(), a.len());
        assert!(a.iter().all(|u| u.get_version_num() == 4));
        assert_ne!(UuidSource::seeded(8).next_uuid(), a[0]);
    }

    #[test]
    fn random_uuids_differ() {
        let mut source = UuidSource::Random;
        assert_ne!(source.next_uuid(), source.next_uuid());
    }
}
