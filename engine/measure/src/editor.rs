//! A measurement being placed: its vertices (scene ENU metres) and the
//! edits made to them, each undoable. Mouse, touch and keyboard all edit
//! through this one type.

use sontinh_scene::{MAX_MEASUREMENT_POINTS, MeasureTool};

/// Edits kept for undo.
const UNDO_DEPTH: usize = 256;

/// Why an edit was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EditRefused {
    #[error("this measurement already has all its points")]
    Full,
    #[error("there is no vertex {0}")]
    NoVertex(usize),
    #[error("the position is not finite")]
    NotFinite,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Editor {
    tool: MeasureTool,
    points: Vec<[f64; 3]>,
    undo: Vec<Vec<[f64; 3]>>,
    redo: Vec<Vec<[f64; 3]>>,
    /// A drag in progress: its moves make one undo step.
    moving: Option<usize>,
}

impl Editor {
    pub fn new(tool: MeasureTool) -> Editor {
        Editor { tool, points: Vec::new(), undo: Vec::new(), redo: Vec::new(), moving: None }
    }

    /// An editor holding a saved measurement's points (not an undo step).
    pub fn with_points(tool: MeasureTool, points: Vec<[f64; 3]>) -> Editor {
        Editor { points, ..Editor::new(tool) }
    }

    pub fn tool(&self) -> MeasureTool {
        self.tool
    }

    pub fn points(&self) -> &[[f64; 3]] {
        &self.points
    }

    /// Enough points for the tool's figure.
    pub fn is_complete(&self) -> bool {
        self.points.len() >= self.tool.min_points()
    }

    /// No point may be added.
    pub fn is_full(&self) -> bool {
        self.points.len() >= self.tool.max_points().unwrap_or(MAX_MEASUREMENT_POINTS)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    fn remember(&mut self) {
        if self.undo.len() == UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.undo.push(self.points.clone());
        self.redo.clear();
    }

    fn finite(p: [f64; 3]) -> Result<(), EditRefused> {
        if p.iter().all(|v| v.is_finite()) { Ok(()) } else { Err(EditRefused::NotFinite) }
    }

    /// Adds a vertex at the end.
    pub fn add(&mut self, p: [f64; 3]) -> Result<(), EditRefused> {
        Self::finite(p)?;
        if self.is_full() {
            return Err(EditRefused::Full);
        }
        self.remember();
        self.points.push(p);
        Ok(())
    }

    /// Inserts a vertex before `index` (on an edge of a polyline or polygon).
    pub fn insert(&mut self, index: usize, p: [f64; 3]) -> Result<(), EditRefused> {
        Self::finite(p)?;
        if self.is_full() {
            return Err(EditRefused::Full);
        }
        if index > self.points.len() {
            return Err(EditRefused::NoVertex(index));
        }
        self.remember();
        self.points.insert(index, p);
        Ok(())
    }

    /// Moves a vertex; the moves of one drag (until [`Editor::end_move`])
    /// undo together.
    pub fn move_to(&mut self, index: usize, p: [f64; 3]) -> Result<(), EditRefused> {
        Self::finite(p)?;
        if index >= self.points.len() {
            return Err(EditRefused::NoVertex(index));
        }
        if self.moving != Some(index) {
            self.remember();
            self.moving = Some(index);
        }
        self.points[index] = p;
        Ok(())
    }

    /// Ends a drag: the next move is a new undo step.
    pub fn end_move(&mut self) {
        self.moving = None;
    }

    pub fn remove(&mut self, index: usize) -> Result<(), EditRefused> {
        if index >= self.points.len() {
            return Err(EditRefused::NoVertex(index));
        }
        self.remember();
        self.moving = None;
        self.points.remove(index);
        Ok(())
    }

    /// Removes every vertex (undoable).
    pub fn clear(&mut self) {
        if !self.points.is_empty() {
            self.remember();
            self.points.clear();
        }
        self.moving = None;
    }

    pub fn undo(&mut self) -> bool {
        self.moving = None;
        match self.undo.pop() {
            Some(before) => {
                self.redo.push(std::mem::replace(&mut self.points, before));
                true
            }
            None => false,
        }
    }

    pub fn redo(&mut self) -> bool {
        self.moving = None;
        match self.redo.pop() {
            Some(after) => {
                self.undo.push(std::mem::replace(&mut self.points, after));
                true
            }
            None => false,
        }
    }
}
