//! Unit tests for the directory loader and mutations.

use super::*;

#[track_caller]
fn load(yaml: &str) -> Result<Directory, DirectoryError> {
    Directory::from_yaml(yaml, "test.yaml")
}

#[test]
fn yaml_1_2_scalars_stay_strings() {
    let d = load(
        "users:\n  - id: 0123\n    userPrincipalName: no\n    givenName: on\n    employeeId: 007\n",
    )
    .unwrap();
    let u = d.users().next().unwrap();
    assert_eq!(u.id, "0123");
    assert_eq!(u.profile.user_principal_name, "no");
    assert_eq!(u.profile.given_name.as_deref(), Some("on"));
    assert_eq!(u.profile.employee_id.as_deref(), Some("007"));
}

#[test]
fn unknown_key_names_line_and_column() {
    let err = load("users:\n  - id: a\n    userPrincipalName: a@x\n    nickname: b\n").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("parsing directory test.yaml: line 4, column 5: "),
        "{msg}"
    );
    assert!(msg.contains("nickname"), "{msg}");
}

#[test]
fn dangling_manager_is_an_error() {
    let err = load("users:\n  - id: a\n    userPrincipalName: a@x\n    manager: b\n").unwrap_err();
    assert!(err.to_string().contains("manager `b`"), "{err}");
}

#[test]
fn generate_expands_padding_and_is_stable() {
    let mut d = Directory::new();
    d.create_group(DirGroup::new("g", "G")).unwrap();
    let spec = Generate {
        count: 3,
        pattern: "load{n:03}@x.example".into(),
    };
    assert_eq!(d.generate_members("g", &spec).unwrap(), 3);
    assert_eq!(
        d.users().nth(2).unwrap().profile.user_principal_name,
        "load003@x.example"
    );
    let ids: Vec<String> = (1..=3).map(|n| spec.user_id(n)).collect();
    let members: Vec<String> = d
        .group("g")
        .unwrap()
        .members
        .iter()
        .map(|m| m.into_owned())
        .collect();
    assert_eq!(members, ids);
    let listed: Vec<String> = d.users().map(|u| u.id.clone()).collect();
    assert_eq!(listed, ids);
    let mut again = Directory::new();
    again.create_group(DirGroup::new("g", "G")).unwrap();
    again.generate_members("g", &spec).unwrap();
    assert_eq!(
        again.users().map(|u| u.into_owned()).collect::<Vec<_>>(),
        d.users().map(|u| u.into_owned()).collect::<Vec<_>>()
    );
    // The same block twice is a duplicate, and leaves the directory as it was.
    assert!(matches!(
        d.generate(&spec),
        Err(DirectoryError::Duplicate(_))
    ));
    assert_eq!(d.user_count(), 3);
    assert_eq!(
        d.user(&ids[1]).unwrap().profile.surname.as_deref(),
        Some("User 2")
    );
}

#[test]
fn hard_delete_is_final_and_leaves_groups() {
    let mut d = Directory::new();
    d.add_user(DirUser::new("a", "a@x")).unwrap();
    d.create_group(DirGroup::new("g", "G")).unwrap();
    d.add_member("g", "a").unwrap();
    d.hard_delete_user("a").unwrap();
    assert!(d.group("g").unwrap().members.is_empty());
    assert!(matches!(
        d.enable_user("a"),
        Err(DirectoryError::HardDeleted(_))
    ));
}

#[test]
fn okta_ids_have_okta_shape() {
    let id = derive_okta_id("6f1c2a3b-0000-4000-8000-000000000001");
    assert!(id.starts_with("00u") && id.len() == 20, "{id}");
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
}

#[test]
fn the_standard_cast_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/directory.yaml");
    let d = Directory::load(path).unwrap();
    let by_login = |l: &str| d.user_by_login(l).unwrap();
    assert!(d.users().len() >= 6 + 120);
    assert_eq!(
        by_login("sean.obrien@contoso.example")
            .profile
            .surname
            .as_deref(),
        Some("O'Brien")
    );
    assert_eq!(
        by_login("lukasz.zolc@contoso.example")
            .profile
            .given_name
            .as_deref(),
        Some("Łukasz")
    );
    assert_eq!(
        by_login("alice.ng@contoso.example").profile.mail.as_deref(),
        Some("alice.ng+grafana@contoso.example")
    );
    let ravi = by_login("ravi.iyer@contoso.example");
    assert_eq!(
        (ravi.id.as_str(), ravi.profile.employee_id.as_deref()),
        ("1001", Some("0123"))
    );
    let svc = by_login("svc-backup@contoso.example");
    assert_eq!(
        (
            svc.profile.mail.as_deref(),
            svc.profile.department.as_deref()
        ),
        (None, Some("no"))
    );
    // alice → carol → dana
    let carol = d
        .user(
            by_login("alice.ng@contoso.example")
                .profile
                .manager
                .as_deref()
                .unwrap(),
        )
        .unwrap();
    let dana = d.user(carol.profile.manager.as_deref().unwrap()).unwrap();
    assert_eq!(
        dana.profile.user_principal_name,
        "dana.whitfield@contoso.example"
    );
    assert_eq!(d.groups().len(), 3);
    assert_eq!(d.group_by_name("All Staff").unwrap().members.len(), 121);
}
