//! The ways of looking at the twin in XR (re-exported by [`crate::frame`]).

/// How the viewer is being looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrMode {
    /// An `immersive-vr` WebXR session (a headset).
    Vr,
    /// An `immersive-ar` WebXR session (a phone or a passthrough headset).
    Ar,
    /// A phone turned about by its device orientation, no WebXR.
    MagicWindow,
    /// A phone in a cardboard viewer: side-by-side stereo from the device
    /// orientation, no WebXR.
    Cardboard,
}

impl XrMode {
    /// Reads a mode's id: "vr", "ar", "magic" or "cardboard".
    pub fn parse(text: &str) -> Result<XrMode, String> {
        match text {
            "vr" => Ok(XrMode::Vr),
            "ar" => Ok(XrMode::Ar),
            "magic" => Ok(XrMode::MagicWindow),
            "cardboard" => Ok(XrMode::Cardboard),
            other => Err(format!(
                "unknown XR mode {other:?}: expected \"vr\", \"ar\", \"magic\" or \"cardboard\""
            )),
        }
    }

    /// The id [`XrMode::parse`] reads.
    pub fn id(self) -> &'static str {
        match self {
            XrMode::Vr => "vr",
            XrMode::Ar => "ar",
            XrMode::MagicWindow => "magic",
            XrMode::Cardboard => "cardboard",
        }
    }

    /// Whether the mode runs in a WebXR immersive session (poses and views
    /// come from the XR device); the others run on device orientation.
    pub fn is_immersive(self) -> bool {
        matches!(self, XrMode::Vr | XrMode::Ar)
    }

    /// Whether the mode always shows two eyes (VR, cardboard). AR is mono on
    /// phones but a passthrough headset gives two views: go by the frame's
    /// `views` there.
    pub fn is_stereo(self) -> bool {
        matches!(self, XrMode::Vr | XrMode::Cardboard)
    }
}
