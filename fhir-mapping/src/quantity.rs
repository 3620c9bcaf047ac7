//! Typed, exact quantities in the model's units: a dose or a measurement is never a bare number
//! and never a float, from the FHIR decimal string to the card.

use std::fmt;

use rust_decimal::Decimal;

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident, $unit:literal) => {
        $(#[$doc])*
        ///
        /// Exact: the decimal the record gave (converted exactly when the unit differed), never a
        /// float. Only positive amounts exist.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Decimal);

        impl $name {
            /// The amount, when it is positive (the only amounts a body has).
            pub fn new(value: Decimal) -> Option<Self> {
                (value > Decimal::ZERO).then(|| Self(value.normalize()))
            }

            /// The amount written as a decimal, e.g. `"18.5"`; `None` when not a positive decimal.
            pub fn parse(text: &str) -> Option<Self> {
                text.parse().ok().and_then(Self::new)
            }

            /// The value in this unit.
            pub fn value(self) -> Decimal {
                self.0
            }

            /// The UCUM code of this unit.
            pub const UCUM: &'static str = $unit;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.0, $unit)
            }
        }
    };
}

quantity!(
    /// Body weight in kilograms.
    Kilograms,
    "kg"
);
quantity!(
    /// Body height in centimetres.
    Centimetres,
    "cm"
);
quantity!(
    /// Body surface area in square metres.
    SquareMetres,
    "m2"
);

/// A dose in milligrams, exact (a decimal, never a float), so that a dose on a card is exactly
/// the arithmetic written beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Milligrams(Decimal);

impl Milligrams {
    /// Wraps an exact amount (normalised: `250.0` and `250` are the same dose).
    pub fn new(value: Decimal) -> Self {
        Self(value.normalize())
    }

    /// The amount.
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Milligrams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} mg", self.0.normalize())
    }
}
