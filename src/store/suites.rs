//! The user's own test suites: JSON files in `<config>/suites/` (docs/suites.md). A
//! built-in suite is duplicated here to be edited; "Save to suite" appends requests here.
//! Ids are unique across built-in and user suites: a copy never takes a built-in's id, and
//! a user file that claims one is reported and left out (the built-in wins).

use std::fs;
use std::path::{Path, PathBuf};

use crate::snap::scenario::{
    Case, FORMAT_VERSION, MAX_CASES, MAX_STEPS, Role, Step, Suite, built_in_named, is_id,
    parse_suite,
};

use super::files::{self, Sensitivity};
use super::paths::AppPaths;

/// Suite files larger than this are refused (a suite of 1,000 cases is far smaller).
pub const MAX_SUITE_BYTES: u64 = 4 * 1024 * 1024;

/// Files read from the suites folder at most: the panel lists them all.
pub const MAX_USER_SUITES: usize = 500;

/// Fresh ids tried for a copy (`ID-copy`, `ID-copy-2`, …) before giving up.
const MAX_COPY_TRIES: usize = 100;

/// A suite read from the suites folder, and where it lives.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSuite {
    pub suite: Suite,
    pub path: PathBuf,
}

/// Every user suite that reads, and what is wrong with the others.
#[derive(Debug, Clone, Default)]
pub struct UserSuites {
    pub suites: Vec<UserSuite>,
    pub problems: Vec<String>,
}

/// Read one suite file (a user's, or one given by path on the command line).
pub fn read_file(path: &Path) -> Result<Suite, String> {
    let bytes = files::read_capped(path, MAX_SUITE_BYTES).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&bytes);
    parse_suite(&path.display().to_string(), &text).map_err(|e| e.to_string())
}

/// Every `*.json` in the suites folder, by file name. No folder: none.
pub fn load(paths: &AppPaths) -> UserSuites {
    let mut out = UserSuites::default();
    let dir = paths.suites_dir();
    let mut names: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            out.problems
                .push(format!("cannot read the folder {}: {e}", dir.display()));
            return out;
        }
    };
    names.sort();
    if names.len() > MAX_USER_SUITES {
        out.problems.push(format!(
            "{} holds {} suites; only the first {MAX_USER_SUITES} are read",
            dir.display(),
            names.len()
        ));
        names.truncate(MAX_USER_SUITES);
    }
    for path in names {
        match read_file(&path) {
            Ok(suite) => admit(&mut out, suite, path),
            Err(e) => out.problems.push(e),
        }
    }
    out
}

/// Keep a suite unless its id is already taken (by a built-in or an earlier file).
fn admit(out: &mut UserSuites, suite: Suite, path: PathBuf) {
    let taken_by = if built_in_named(&suite.id).is_some() {
        Some("a built-in suite".to_string())
    } else {
        out.suites
            .iter()
            .find(|u| u.suite.id == suite.id)
            .map(|u| u.path.display().to_string())
    };
    match taken_by {
        Some(other) => out.problems.push(format!(
            "{}: the id '{}' is already used by {other}; this file is left out (change its \"id\")",
            path.display(),
            suite.id
        )),
        None => out.suites.push(UserSuite { suite, path }),
    }
}

/// The user suite with this id.
pub fn find(paths: &AppPaths, id: &str) -> Option<UserSuite> {
    load(paths)
        .suites
        .into_iter()
        .find(|u| u.suite.id == id.trim())
}

/// Copy a built-in (or user) suite into the suites folder as `new_id` (default: the first
/// free `ID-copy`, `ID-copy-2`, …). An id already used by any suite is refused.
pub fn duplicate(paths: &AppPaths, id: &str, new_id: Option<&str>) -> Result<UserSuite, String> {
    let id = id.trim();
    let mut suite = built_in_named(id)
        .or_else(|| find(paths, id).map(|u| u.suite))
        .ok_or_else(|| format!("there is no suite '{id}' to copy (snap-console test --list)"))?;
    let new_id = match new_id.map(str::trim) {
        Some(wanted) => {
            check_free(paths, wanted)?;
            wanted.to_string()
        }
        None => free_copy_id(paths, id)?,
    };
    suite.id = new_id;
    suite.title = format!("{} (copy)", suite.title);
    let path = paths.suites_dir().join(format!("{}.json", suite.id));
    write(&path, &suite, true)?;
    Ok(UserSuite { suite, path })
}

/// Refuse an id that is malformed or used by a built-in or a user suite.
fn check_free(paths: &AppPaths, id: &str) -> Result<(), String> {
    if !is_id(id) {
        return Err(format!(
            "'{id}' is not a suite id: use letters, digits, '-' and '_' (at most 64)"
        ));
    }
    if built_in_named(id).is_some() {
        return Err(format!("'{id}' is a built-in suite; choose another id"));
    }
    if let Some(user) = find(paths, id) {
        return Err(format!(
            "'{id}' is already a suite of yours ({}); choose another id",
            user.path.display()
        ));
    }
    if paths.suites_dir().join(format!("{id}.json")).exists() {
        return Err(format!(
            "{} already exists; choose another id",
            paths.suites_dir().join(format!("{id}.json")).display()
        ));
    }
    Ok(())
}

fn free_copy_id(paths: &AppPaths, id: &str) -> Result<String, String> {
    let base: String = format!("{id}-copy").chars().take(58).collect();
    (1..=MAX_COPY_TRIES)
        .map(|n| match n {
            1 => base.clone(),
            n => format!("{base}-{n}"),
        })
        .find(|candidate| check_free(paths, candidate).is_ok())
        .ok_or_else(|| format!("no free id for a copy of '{id}'; give one with --as"))
}

/// Where a saved request went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedStep {
    pub path: PathBuf,
    pub suite: String,
    pub case: String,
    /// The step's number in its case, from 1.
    pub step: usize,
}

/// Append `step` to the case `case_id` of the user suite `suite_id` (default: a new case
/// `request-N`); the suite and the case are made when missing. Built-in suites are not
/// written to: duplicate them first.
pub fn save_step(
    paths: &AppPaths,
    suite_id: &str,
    case_id: Option<&str>,
    step: Step,
) -> Result<SavedStep, String> {
    let suite_id = suite_id.trim();
    if !is_id(suite_id) {
        return Err(format!(
            "'{suite_id}' is not a suite id: use letters, digits, '-' and '_' (at most 64)"
        ));
    }
    if built_in_named(suite_id).is_some() {
        return Err(format!(
            "'{suite_id}' is a built-in suite; duplicate it first (Scenarios: Duplicate) or name a suite of yours"
        ));
    }
    let (mut suite, path) = match find(paths, suite_id) {
        Some(user) => (user.suite, user.path),
        None => (
            new_suite(suite_id),
            paths.suites_dir().join(format!("{suite_id}.json")),
        ),
    };
    let (case, number) = append(&mut suite, case_id.map(str::trim), step)?;
    write(&path, &suite, false)?;
    Ok(SavedStep {
        path,
        suite: suite.id,
        case,
        step: number,
    })
}

fn new_suite(id: &str) -> Suite {
    Suite {
        format_version: FORMAT_VERSION,
        id: id.to_string(),
        title: id.to_string(),
        role: Role::Partner,
        source: String::new(),
        description: "Saved requests (SNAP Console: Save to suite).".into(),
        cases: Vec::new(),
    }
}

/// Add the step to its case (made when missing); the case id and the step's number.
fn append(suite: &mut Suite, case_id: Option<&str>, step: Step) -> Result<(String, usize), String> {
    let case_id = match case_id.filter(|c| !c.is_empty()) {
        Some(id) if is_id(id) => id.to_string(),
        Some(id) => {
            return Err(format!(
                "'{id}' is not a case id: use letters, digits, '-' and '_' (at most 64)"
            ));
        }
        None => (1..)
            .map(|n| format!("request-{n}"))
            .find(|c| !suite.cases.iter().any(|k| &k.id == c))
            .unwrap_or_default(),
    };
    if let Some(case) = suite.cases.iter_mut().find(|c| c.id == case_id) {
        if case.steps.len() >= MAX_STEPS {
            return Err(format!(
                "case '{case_id}' already has {MAX_STEPS} steps, the most a case holds"
            ));
        }
        case.steps.push(step);
        return Ok((case_id, case.steps.len()));
    }
    if suite.cases.len() >= MAX_CASES {
        return Err(format!(
            "suite '{}' already has {MAX_CASES} cases, the most a suite holds",
            suite.id
        ));
    }
    suite.cases.push(Case {
        id: case_id.clone(),
        name: format!("{} (saved request)", step.service),
        purpose: String::new(),
        requires: Vec::new(),
        steps: vec![step],
    });
    Ok((case_id, 1))
}

/// Write a suite, after reading it back as `snap-console test` would (never a file that
/// does not load).
fn write(path: &Path, suite: &Suite, new_file: bool) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(suite)
        .map_err(|e| format!("cannot encode suite '{}': {e}", suite.id))?;
    text.push('\n');
    parse_suite(&path.display().to_string(), &text).map_err(|e| e.to_string())?;
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let written = if new_file {
        files::write_new(path, text.as_bytes(), Sensitivity::Public)
    } else {
        files::write_atomic(path, text.as_bytes(), Sensitivity::Public)
    };
    written.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(service: &str) -> Step {
        Step {
            service: service.into(),
            body: None,
            set: serde_json::Map::new(),
            headers: Default::default(),
            omit: Vec::new(),
            fault: None,
            capture: Default::default(),
            expect: Default::default(),
        }
    }

    #[test]
    fn saving_makes_the_suite_then_appends_cases_and_steps() {
        let home = tempfile::tempdir().unwrap();
        let paths = AppPaths::under(home.path());
        let first = save_step(&paths, "mine", None, step("snap-73")).unwrap();
        assert_eq!((first.case.as_str(), first.step), ("request-1", 1));
        assert_eq!(first.path, paths.suites_dir().join("mine.json"));
        let second = save_step(&paths, "mine", None, step("snap-25")).unwrap();
        assert_eq!((second.case.as_str(), second.step), ("request-2", 1));
        let third = save_step(&paths, "mine", Some("request-1"), step("snap-25")).unwrap();
        assert_eq!((third.case.as_str(), third.step), ("request-1", 2));
        let suite = find(&paths, "mine").unwrap().suite;
        assert_eq!(suite.cases.len(), 2);
        assert_eq!(suite.cases[0].steps.len(), 2);
    }

    #[test]
    fn saving_refuses_built_ins_bad_ids_and_a_full_case() {
        let home = tempfile::tempdir().unwrap();
        let paths = AppPaths::under(home.path());
        let built_in = save_step(&paths, "biller", None, step("snap-73")).unwrap_err();
        assert!(
            built_in.contains("built-in suite; duplicate it first"),
            "{built_in}"
        );
        let bad = save_step(&paths, "../escape", None, step("snap-73")).unwrap_err();
        assert!(bad.contains("is not a suite id"), "{bad}");
        let bad_case = save_step(&paths, "mine", Some("a b"), step("snap-73")).unwrap_err();
        assert!(bad_case.contains("is not a case id"), "{bad_case}");
        for _ in 0..MAX_STEPS {
            save_step(&paths, "mine", Some("full"), step("snap-73")).unwrap();
        }
        let full = save_step(&paths, "mine", Some("full"), step("snap-73")).unwrap_err();
        assert!(full.contains("already has 20 steps"), "{full}");
        // Nothing that does not load is ever written: an unknown service is refused.
        let unknown = save_step(&paths, "mine", None, step("no-such-service")).unwrap_err();
        assert!(unknown.contains("mine.json"), "{unknown}");
    }

    #[test]
    fn copies_take_free_ids_only() {
        let home = tempfile::tempdir().unwrap();
        let paths = AppPaths::under(home.path());
        assert_eq!(
            duplicate(&paths, "biller", None).unwrap().suite.id,
            "biller-copy"
        );
        assert_eq!(
            duplicate(&paths, "biller", None).unwrap().suite.id,
            "biller-copy-2"
        );
        // A user suite can be copied too.
        assert_eq!(
            duplicate(&paths, "biller-copy", Some("mine"))
                .unwrap()
                .suite
                .id,
            "mine"
        );
        assert!(duplicate(&paths, "biller", Some("mine")).is_err());
        assert!(duplicate(&paths, "biller", Some("qris-transaction-list")).is_err());
        assert!(duplicate(&paths, "nothing", None).is_err());
        assert_eq!(load(&paths).suites.len(), 3);
    }
}
