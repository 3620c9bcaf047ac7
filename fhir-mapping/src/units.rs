//! UCUM units for body mass, body length and drug doses, converted into the model's units.
//!
//! Invariant: only exact UCUM codes are recognised; anything else is `None`, which callers turn
//! into a data issue. A unit is never guessed from free text.

use crate::facts::DoseAmount;
use crate::quantity::{Centimetres, Kilograms};

/// The UCUM code system URI.
pub const UCUM_SYSTEM: &str = "http://unitsofmeasure.org";

/// Units of body mass the mapping accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MassUnit {
    /// `g`
    Gram,
    /// `kg`
    Kilogram,
    /// `[lb_av]`, the avoirdupois pound.
    Pound,
    /// `[oz_av]`, the avoirdupois ounce.
    Ounce,
}

impl MassUnit {
    /// Every accepted unit.
    #[cfg(test)]
    pub const ALL: [MassUnit; 4] = [Self::Gram, Self::Kilogram, Self::Pound, Self::Ounce];

    /// Reads a UCUM code.
    pub fn parse(ucum: &str) -> Option<Self> {
        match ucum {
            "g" => Some(Self::Gram),
            "kg" => Some(Self::Kilogram),
            "[lb_av]" => Some(Self::Pound),
            "[oz_av]" => Some(Self::Ounce),
            _ => None,
        }
    }

    /// Kilograms per one of this unit (exact by the UCUM definitions).
    fn kilograms_per_unit(self) -> f64 {
        match self {
            Self::Gram => 0.001,
            Self::Kilogram => 1.0,
            Self::Pound => 0.453_592_37,
            Self::Ounce => 0.453_592_37 / 16.0,
        }
    }

    /// `value` of this unit in kilograms.
    pub fn to_kilograms(self, value: f64) -> Kilograms {
        Kilograms::new(value * self.kilograms_per_unit())
    }

    /// A weight expressed in this unit (the inverse of `to_kilograms`).
    #[cfg(test)]
    pub fn value_of_kilograms(self, weight: Kilograms) -> f64 {
        weight.value() / self.kilograms_per_unit()
    }
}

/// Units of body length the mapping accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthUnit {
    /// `mm`
    Millimetre,
    /// `cm`
    Centimetre,
    /// `m`
    Metre,
    /// `[in_i]`, the international inch.
    Inch,
    /// `[ft_i]`, the international foot.
    Foot,
}

impl LengthUnit {
    /// Every accepted unit.
    #[cfg(test)]
    pub const ALL: [LengthUnit; 5] = [
        Self::Millimetre,
        Self::Centimetre,
        Self::Metre,
        Self::Inch,
        Self::Foot,
    ];

    /// Reads a UCUM code.
    pub fn parse(ucum: &str) -> Option<Self> {
        match ucum {
            "mm" => Some(Self::Millimetre),
            "cm" => Some(Self::Centimetre),
            "m" => Some(Self::Metre),
            "[in_i]" => Some(Self::Inch),
            "[ft_i]" => Some(Self::Foot),
            _ => None,
        }
    }

    fn centimetres_per_unit(self) -> f64 {
        match self {
            Self::Millimetre => 0.1,
            Self::Centimetre => 1.0,
            Self::Metre => 100.0,
            Self::Inch => 2.54,
            Self::Foot => 30.48,
        }
    }

    /// `value` of this unit in centimetres.
    pub fn to_centimetres(self, value: f64) -> Centimetres {
        Centimetres::new(value * self.centimetres_per_unit())
    }

    /// A length expressed in this unit (the inverse of `to_centimetres`).
    #[cfg(test)]
    pub fn value_of_centimetres(self, length: Centimetres) -> f64 {
        length.value() / self.centimetres_per_unit()
    }
}

/// A drug amount from a UCUM-coded quantity: mg (and g, ug) absolute, mg/m2 and mg/kg relative.
pub fn dose_amount(value: f64, ucum: &str) -> Option<DoseAmount> {
    match ucum {
        "mg" => Some(DoseAmount::Milligrams(value)),
        "g" => Some(DoseAmount::Milligrams(value * 1000.0)),
        "ug" => Some(DoseAmount::Milligrams(value / 1000.0)),
        "mg/m2" => Some(DoseAmount::MilligramsPerSquareMetre(value)),
        "mg/kg" => Some(DoseAmount::MilligramsPerKilogram(value)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pounds_and_inches_convert_by_their_exact_definitions() {
        let weight = MassUnit::parse("[lb_av]").unwrap().to_kilograms(185.0);
        assert!((weight.value() - 83.914_588_45).abs() < 1e-9);
        let height = LengthUnit::parse("[in_i]").unwrap().to_centimetres(40.0);
        assert!((height.value() - 101.6).abs() < 1e-9);
    }

    #[test]
    fn grams_ounces_millimetres_metres_and_feet_convert() {
        assert!((MassUnit::Gram.to_kilograms(14_200.0).value() - 14.2).abs() < 1e-9);
        assert!((MassUnit::Ounce.to_kilograms(16.0).value() - 0.453_592_37).abs() < 1e-12);
        assert!((LengthUnit::Millimetre.to_centimetres(960.0).value() - 96.0).abs() < 1e-9);
        assert!((LengthUnit::Metre.to_centimetres(1.02).value() - 102.0).abs() < 1e-9);
        assert!((LengthUnit::Foot.to_centimetres(3.0).value() - 91.44).abs() < 1e-9);
    }

    #[test]
    fn unknown_or_free_text_units_are_not_guessed() {
        for text in ["lb", "lbs", "pounds", "KG", "in", "inch", "", "[lb_us]"] {
            assert_eq!(MassUnit::parse(text), None, "{text}");
            assert_eq!(LengthUnit::parse(text), None, "{text}");
        }
    }

    #[test]
    fn dose_units_map_to_absolute_or_relative_amounts() {
        assert_eq!(dose_amount(1.0, "g"), Some(DoseAmount::Milligrams(1000.0)));
        assert_eq!(
            dose_amount(375.0, "mg/m2"),
            Some(DoseAmount::MilligramsPerSquareMetre(375.0))
        );
        assert_eq!(
            dose_amount(30.0, "mg/kg"),
            Some(DoseAmount::MilligramsPerKilogram(30.0))
        );
        assert_eq!(dose_amount(2.0, "tablet"), None);
    }

    proptest! {
        #[test]
        fn mass_conversion_round_trips(value in 0.001f64..10_000.0, index in 0usize..4) {
            let unit = MassUnit::ALL[index];
            let back = unit.value_of_kilograms(unit.to_kilograms(value));
            prop_assert!((back - value).abs() <= value * 1e-12);
        }

        #[test]
        fn length_conversion_round_trips(value in 0.001f64..10_000.0, index in 0usize..5) {
            let unit = LengthUnit::ALL[index];
            let back = unit.value_of_centimetres(unit.to_centimetres(value));
            prop_assert!((back - value).abs() <= value * 1e-12);
        }

        #[test]
        fn conversion_preserves_order(a in 0.001f64..1000.0, b in 0.001f64..1000.0, index in 0usize..4) {
            let unit = MassUnit::ALL[index];
            prop_assert_eq!(a < b, unit.to_kilograms(a) < unit.to_kilograms(b));
        }
    }
}
