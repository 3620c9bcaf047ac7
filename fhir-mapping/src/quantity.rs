//! Typed quantities in the model's units: a dose or a measurement is never a bare `f64`.

use std::fmt;

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident, $unit:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
        pub struct $name(f64);

        impl $name {
            /// Wraps a value already expressed in this unit.
            pub fn new(value: f64) -> Self {
                Self(value)
            }

            /// The value in this unit.
            pub fn value(self) -> f64 {
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
pub struct Milligrams(rust_decimal::Decimal);

impl Milligrams {
    /// Wraps an exact amount (normalised: `250.0` and `250` are the same dose).
    pub fn new(value: rust_decimal::Decimal) -> Self {
        Self(value.normalize())
    }

    /// The amount.
    pub fn value(self) -> rust_decimal::Decimal {
        self.0
    }
}

impl fmt::Display for Milligrams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} mg", self.0.normalize())
    }
}
