//! UCUM units for body mass, body length and drug doses, converted into the model's units.
//!
//! Invariant: only exact UCUM codes are recognised; anything else is `None`, which callers turn
//! into a data issue. A unit is never guessed from free text.

use rust_decimal::Decimal;

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

    /// Kilograms per one of this unit (exact by the UCUM definitions: 1 lb = 0.45359237 kg,
    /// 1 oz = 1/16 lb = 0.028349523125 kg).
    fn kilograms_per_unit(self) -> Decimal {
        match self {
            Self::Gram => Decimal::new(1, 3),
            Self::Kilogram => Decimal::ONE,
            Self::Pound => Decimal::new(45_359_237, 8),
            Self::Ounce => Decimal::new(28_349_523_125, 12),
        }
    }

    /// `value` of this unit in kilograms, exactly; `None` unless positive.
    pub fn to_kilograms(self, value: Decimal) -> Option<Kilograms> {
        Kilograms::new(value.checked_mul(self.kilograms_per_unit())?)
    }

    /// A weight expressed in this unit (the inverse of `to_kilograms`).
    #[cfg(test)]
    pub fn value_of_kilograms(self, weight: Kilograms) -> Decimal {
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

    /// Centimetres per one of this unit (exact: 1 in = 2.54 cm, 1 ft = 30.48 cm).
    fn centimetres_per_unit(self) -> Decimal {
        match self {
            Self::Millimetre => Decimal::new(1, 1),
            Self::Centimetre => Decimal::ONE,
            Self::Metre => Decimal::ONE_HUNDRED,
            Self::Inch => Decimal::new(254, 2),
            Self::Foot => Decimal::new(3048, 2),
        }
    }

    /// `value` of this unit in centimetres, exactly; `None` unless positive.
    pub fn to_centimetres(self, value: Decimal) -> Option<Centimetres> {
        Centimetres::new(value.checked_mul(self.centimetres_per_unit())?)
    }

    /// A length expressed in this unit (the inverse of `to_centimetres`).
    #[cfg(test)]
    pub fn value_of_centimetres(self, length: Centimetres) -> Decimal {
        length.value() / self.centimetres_per_unit()
    }
}

/// A drug amount from a UCUM-coded quantity: mg (and g, ug) absolute, mg/m2 and mg/kg relative.
pub fn dose_amount(value: Decimal, ucum: &str) -> Option<DoseAmount> {
    let value = value.normalize();
    match ucum {
        "mg" => Some(DoseAmount::Milligrams(value)),
        "g" => Some(DoseAmount::Milligrams(
            value.checked_mul(Decimal::ONE_THOUSAND)?.normalize(),
        )),
        "ug" => Some(DoseAmount::Milligrams(
            (value / Decimal::ONE_THOUSAND).normalize(),
        )),
        "mg/m2" => Some(DoseAmount::MilligramsPerSquareMetre(value)),
        "mg/kg" => Some(DoseAmount::MilligramsPerKilogram(value)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn pounds_and_inches_convert_by_their_exact_definitions() {
        let weight = MassUnit::parse("[lb_av]").unwrap().to_kilograms(dec("185"));
        assert_eq!(weight.unwrap().value(), dec("83.91458845"));
        let height = LengthUnit::parse("[in_i]")
            .unwrap()
            .to_centimetres(dec("40"));
        assert_eq!(height.unwrap().value(), dec("101.6"));
    }

    #[test]
    fn grams_ounces_millimetres_metres_and_feet_convert_exactly() {
        let kg = |unit: MassUnit, v: &str| unit.to_kilograms(dec(v)).unwrap().value();
        let cm = |unit: LengthUnit, v: &str| unit.to_centimetres(dec(v)).unwrap().value();
        assert_eq!(kg(MassUnit::Gram, "14200"), dec("14.2"));
        assert_eq!(kg(MassUnit::Ounce, "16"), dec("0.45359237"));
        assert_eq!(cm(LengthUnit::Millimetre, "960"), dec("96"));
        assert_eq!(cm(LengthUnit::Metre, "1.02"), dec("102"));
        assert_eq!(cm(LengthUnit::Foot, "3"), dec("91.44"));
    }

    #[test]
    fn zero_and_negative_amounts_are_no_measurement() {
        assert_eq!(MassUnit::Kilogram.to_kilograms(Decimal::ZERO), None);
        assert_eq!(LengthUnit::Centimetre.to_centimetres(dec("-5")), None);
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
        assert_eq!(
            dose_amount(dec("1"), "g"),
            Some(DoseAmount::Milligrams(dec("1000")))
        );
        assert_eq!(
            dose_amount(dec("250"), "ug"),
            Some(DoseAmount::Milligrams(dec("0.25")))
        );
        assert_eq!(
            dose_amount(dec("375"), "mg/m2"),
            Some(DoseAmount::MilligramsPerSquareMetre(dec("375")))
        );
        assert_eq!(
            dose_amount(dec("30"), "mg/kg"),
            Some(DoseAmount::MilligramsPerKilogram(dec("30")))
        );
        assert_eq!(dose_amount(dec("2"), "tablet"), None);
    }

    proptest! {
        #[test]
        fn mass_conversion_round_trips_exactly(thousandths in 1i64..10_000_000, index in 0usize..4) {
            let value = Decimal::new(thousandths, 3);
            let unit = MassUnit::ALL[index];
            let back = unit.value_of_kilograms(unit.to_kilograms(value).unwrap());
            prop_assert_eq!(back.normalize(), value.normalize());
        }

        #[test]
        fn length_conversion_round_trips_exactly(thousandths in 1i64..10_000_000, index in 0usize..5) {
            let value = Decimal::new(thousandths, 3);
            let unit = LengthUnit::ALL[index];
            let back = unit.value_of_centimetres(unit.to_centimetres(value).unwrap());
            prop_assert_eq!(back.normalize(), value.normalize());
        }

        #[test]
        fn conversion_preserves_order(a in 1i64..1_000_000, b in 1i64..1_000_000, index in 0usize..4) {
            let unit = MassUnit::ALL[index];
            let (a, b) = (Decimal::new(a, 3), Decimal::new(b, 3));
            prop_assert_eq!(a < b, unit.to_kilograms(a) < unit.to_kilograms(b));
        }
    }
}
