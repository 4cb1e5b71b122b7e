//! `ito` as a user runs it: bad configuration stops it with a message naming the file.

use std::process::{Command, Output};

fn ito(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ito"))
        .args(args)
        .output()
        .expect("ito runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_missing_config_file_is_named() {
    let out = ito(&["serve", "--config", "/nonexistent/ito.toml"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("cannot read config file /nonexistent/ito.toml: No such file"),
        "{err}"
    );
}

#[test]
fn a_malformed_config_file_is_named_with_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, "[server]\nlisten = \"not an address\"\n").unwrap();
    let out = ito(&["serve", "--config", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("config file {} is not valid", path.display())),
        "{err}"
    );
    assert!(err.contains("invalid socket address"), "{err}");
}

#[test]
fn an_unknown_command_explains_usage() {
    let out = ito(&["serv"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("Usage:"), "{}", stderr(&out));
}

#[test]
fn serve_prints_its_address_and_stops_cleanly_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("data/ito.sqlite3");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ito"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first_line).unwrap();
    assert!(
        first_line.starts_with("ito: listening on http://127.0.0.1:"),
        "{first_line}"
    );
    assert!(database.exists(), "the database is created on first start");

    // Ctrl-C in a terminal sends SIGINT to the process.
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let out = child.wait_with_output().unwrap();
    drop(stdout);
    let err = stderr(&out);
    assert!(out.status.success(), "exit status {:?}: {err}", out.status);
    assert!(err.contains("ito stopped"), "{err}");
}

#[test]
fn agents_are_added_with_a_password_from_stdin_and_duplicates_refused() {
    use std::io::Write;
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ito.sqlite3");
    let add = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ito"))
            .args([
                "agent",
                "add",
                "--email",
                "ann@shop.example",
                "--name",
                "Ann",
            ])
            .args(["--database", database.to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let added = add("correct horse battery");
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(
        String::from_utf8_lossy(&added.stdout),
        "ito: added agent Ann <ann@shop.example>, 3 conversations at once\n"
    );
    let again = add("correct horse battery");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("an agent with email ann@shop.example already exists"),
        "{}",
        stderr(&again)
    );
    let short = Command::new(env!("CARGO_BIN_EXE_ito"))
        .args([
            "agent",
            "add",
            "--email",
            "bob@shop.example",
            "--name",
            "Bob",
        ])
        .args(["--database", database.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        stderr(&short).contains("at least 10 characters"),
        "{}",
        stderr(&short)
    );
}

#[test]
fn report_prints_a_sites_measures_and_explains_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ito.sqlite3");
    let report = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ito"))
            .arg("report")
            .args(args)
            .args(["--database", database.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let table = report(&[
        "--site",
        "demo",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
    ]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with("Site demo from 2026-11-01 to 2026-11-30 (UTC)"),
        "{text}"
    );
    assert!(text.contains("First contact resolution"), "{text}");
    let csv = report(&[
        "--site",
        "demo",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--csv",
    ]);
    assert!(String::from_utf8_lossy(&csv.stdout).starts_with("Measure,All\nConversations,0\n"));

    let unknown = report(&[
        "--site",
        "nope",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("no site \"nope\""),
        "{}",
        stderr(&unknown)
    );
    let bad = report(&[
        "--site",
        "demo",
        "--from",
        "2026-11-31",
        "--to",
        "2026-11-30",
    ]);
    assert!(
        stderr(&bad).contains("is not a date: write it as YYYY-MM-DD"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn seed_demo_fills_an_empty_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ito.sqlite3");
    let seed = || {
        Command::new(env!("CARGO_BIN_EXE_ito"))
            .args(["seed-demo", "--days", "3"])
            .args(["--database", database.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let first = seed();
    assert!(first.status.success(), "{}", stderr(&first));
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        said.starts_with("ito: seeded ") && said.contains("over 3 days on site demo"),
        "{said}"
    );
    let again = seed();
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("only fills an empty one"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test]
async fn a_sqlite_database_copied_to_postgres_reports_the_same_figures() {
    let Some(_) = ito::store::testing::postgres_server() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("ito.sqlite3");
    let sqlite = sqlite.to_str().unwrap();
    let seeded = ito(&["seed-demo", "--days", "10", "--database", sqlite]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let demo_en = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/faq/en.toml");
    let base = ["--site", "demo", "--locale", "en"];
    let imported = ito(&[
        &["kb", "import"],
        &base[..],
        &[demo_en, "--database", sqlite],
    ]
    .concat());
    assert!(imported.status.success(), "{}", stderr(&imported));
    let postgres = ito::store::testing::fresh_location(dir.path())
        .await
        .as_given();
    let copied = ito(&["db", "copy", "--from", sqlite, "--to", &postgres]);
    assert!(copied.status.success(), "{}", stderr(&copied));
    assert!(
        String::from_utf8_lossy(&copied.stdout).contains("rows of events"),
        "{}",
        String::from_utf8_lossy(&copied.stdout)
    );
    let today = jiff::Zoned::now().date();
    let (from, to) = (
        (today - jiff::Span::new().days(30)).to_string(),
        (today + jiff::Span::new().days(1)).to_string(),
    );
    let report = |database: &str| {
        let out = ito(&[
            "report",
            "--site",
            "demo",
            "--from",
            &from,
            "--to",
            &to,
            "--database",
            database,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let from_sqlite = report(sqlite);
    let conversations = from_sqlite
        .lines()
        .find(|line| line.starts_with("Conversations"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|n| n.parse::<u32>().ok());
    assert!(conversations.is_some_and(|n| n > 0), "{from_sqlite}");
    assert_eq!(report(&postgres), from_sqlite);
    let exported = dir.path().join("from-postgres.toml");
    let export = ito(&[
        &["kb", "export"],
        &base[..],
        &[exported.to_str().unwrap(), "--database", &postgres],
    ]
    .concat());
    assert!(export.status.success(), "{}", stderr(&export));
    assert_eq!(
        ito_assistant::KnowledgeBase::parse(&std::fs::read_to_string(&exported).unwrap()).unwrap(),
        ito_assistant::KnowledgeBase::parse(&std::fs::read_to_string(demo_en).unwrap()).unwrap(),
        "the knowledge base and its versions are copied too"
    );

    let again = ito(&["db", "copy", "--from", sqlite, "--to", &postgres]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
    let missing = ito(&["db", "copy", "--from", "nowhere.sqlite3", "--to", &postgres]);
    assert!(
        stderr(&missing).contains("no database at nowhere.sqlite3"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn a_knowledge_base_goes_into_the_database_and_back_out_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ito.sqlite3");
    let database = database.to_str().unwrap();
    let kb = |args: &[&str]| {
        let mut all = vec!["kb"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--database", database]);
        ito(&all)
    };
    let demo_en = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/faq/en.toml");
    let demo =
        ito_assistant::KnowledgeBase::parse(&std::fs::read_to_string(demo_en).unwrap()).unwrap();

    let nothing_yet = kb(&["export", "--site", "demo", "--locale", "en", "out.toml"]);
    assert!(!nothing_yet.status.success());
    assert!(
        stderr(&nothing_yet).contains("has no published en knowledge base"),
        "{}",
        stderr(&nothing_yet)
    );

    let imported = kb(&["import", "--site", "demo", "--locale", "en", demo_en]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let said = String::from_utf8_lossy(&imported.stdout);
    assert!(
        said.contains(&format!(
            "{} added, 0 changed, 0 deleted, 0 unchanged",
            demo.articles.len()
        )),
        "{said}"
    );
    for file in ["out.toml", "out.json"] {
        let out = dir.path().join(file);
        let exported = kb(&[
            "export",
            "--site",
            "demo",
            "--locale",
            "en",
            out.to_str().unwrap(),
        ]);
        assert!(exported.status.success(), "{}", stderr(&exported));
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text.trim_start().starts_with('{'), file.ends_with(".json"));
        assert_eq!(
            ito_assistant::KnowledgeBase::parse(&text).unwrap(),
            demo,
            "{file}"
        );
    }

    let mut smaller = demo.clone();
    smaller.articles.truncate(3);
    smaller.articles[0].answer = "Changed.".into();
    for article in &mut smaller.articles {
        article.follow_up.clear();
    }
    let changed = (0..3)
        .filter(|&i| i == 0 || !demo.articles[i].follow_up.is_empty())
        .count();
    let smaller_file = dir.path().join("smaller.json");
    std::fs::write(&smaller_file, smaller.to_json()).unwrap();
    let again = kb(&[
        "import",
        "--site",
        "demo",
        "--locale",
        "en",
        smaller_file.to_str().unwrap(),
    ]);
    assert!(again.status.success(), "{}", stderr(&again));
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.contains(&format!(
            "0 added, {changed} changed, {} deleted, {} unchanged",
            demo.articles.len() - 3,
            3 - changed
        )),
        "{said}"
    );

    let wrong_language = kb(&["import", "--site", "demo", "--locale", "ja", demo_en]);
    assert!(
        stderr(&wrong_language).contains("is a \"en\" knowledge base, not ja"),
        "{}",
        stderr(&wrong_language)
    );
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[[article]]\nid = \"a\"\ntitle = \"A\"\nanswer = \"\"\n",
    )
    .unwrap();
    let refused = kb(&[
        "import",
        "--site",
        "demo",
        "--locale",
        "en",
        broken.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("cannot be published"),
        "{}",
        stderr(&refused)
    );
    let unknown = kb(&["import", "--site", "nowhere", "--locale", "en", demo_en]);
    assert!(
        stderr(&unknown).contains("no site \"nowhere\" in the configuration (sites: demo"),
        "{}",
        stderr(&unknown)
    );
    let bad_locale = kb(&["import", "--site", "demo", "--locale", "fr", demo_en]);
    assert!(!bad_locale.status.success());

    let out = dir.path().join("after.toml");
    assert!(
        kb(&[
            "export",
            "--site",
            "demo",
            "--locale",
            "en",
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    let after =
        ito_assistant::KnowledgeBase::parse(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(after, smaller, "the refused imports changed nothing");
}
