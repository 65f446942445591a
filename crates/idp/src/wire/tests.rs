//! Unit tests for request bodies.

use super::members::member_filter;
use super::*;

#[test]
fn entra_ops_are_capitalised_and_active_is_a_string() {
    let changes = [EntraChange {
        attr: Attr::GivenName,
        present: false,
        value: "Bar".into(),
    }];
    let body = entra_user_patch(
        false,
        Dialect::DOCUMENTED,
        &changes,
        Some(ActiveChange {
            active: false,
            present: true,
        }),
    );
    assert_eq!(
        body,
        json!({"schemas":[PATCH_OP],"Operations":[
            {"op":"Add","path":"name.givenName","value":"Bar"},
            {"op":"Replace","path":"active","value":"False"}]})
    );
}

#[test]
fn aadopt_merges_present_attributes_into_one_pathless_replace() {
    let changes = [
        EntraChange {
            attr: Attr::WorkEmail,
            present: true,
            value: "m@x".into(),
        },
        EntraChange {
            attr: Attr::DisplayName,
            present: true,
            value: "D".into(),
        },
        EntraChange {
            attr: Attr::EmployeeNumber,
            present: true,
            value: "7".into(),
        },
    ];
    let body = entra_user_patch(true, Dialect::DOCUMENTED, &changes, None);
    assert_eq!(
        body["Operations"],
        json!([
            {"op":"replace","path":"emails[type eq \"work\"].value","value":"m@x"},
            {"op":"replace","value":{"displayName":"D",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7"}}])
    );
}

#[test]
fn okta_put_keeps_unknown_fields() {
    let current = json!({"id":"1","userName":"a","name":{"givenName":"A","middleName":"","formatted":"X"},
        "emails":[{"primary":true,"value":"a@x","type":"work","display":"a@x"}],"meta":{"location":"l"}});
    let mut a = Attrs::new();
    a.insert(Attr::UserName, "a".into());
    a.insert(Attr::GivenName, "B".into());
    a.insert(Attr::WorkEmail, "b@x".into());
    a.insert(Attr::ExternalId, "00u1".into());
    let put = okta_put_body(&current, &a, Some(false));
    assert_eq!(
        put["name"],
        json!({"givenName":"B","middleName":"","formatted":"X"})
    );
    assert_eq!(put["emails"][0]["value"], "b@x");
    assert_eq!(put["emails"][0]["display"], "a@x");
    assert_eq!(put["meta"]["location"], "l");
    assert_eq!(put["active"], false);
    assert_eq!(put["externalId"], "00u1");
}

#[test]
fn member_filter_escapes_quotes() {
    assert_eq!(member_filter("a\"b"), "members[value eq \"a\\\"b\"]");
}

#[test]
fn packed_attrs_give_back_what_was_packed() {
    for (i, attr) in Attr::ALL.iter().enumerate() {
        assert_eq!(*attr as usize, i);
    }
    let mut a = Attrs::new();
    assert!(PackedAttrs::pack(&a).holds(&a));
    a.insert(
        Attr::UserName,
        "ren\u{e9}e.o'brien+x@contoso.example".into(),
    );
    a.insert(Attr::DisplayName, String::new());
    a.insert(Attr::Department, "R&D \u{1F600}".into());
    let packed = PackedAttrs::pack(&a);
    assert!(packed.holds(&a));
    let (mask, words) = packed.to_words();
    let back = PackedAttrs::from_words(mask, words.iter().copied());
    assert_eq!(back, packed);
    assert!(back.keys().eq(a.keys().copied()));
    assert!(packed.matches(Attr::Department, Some("R&D \u{1F600}")));
    assert!(!packed.matches(Attr::Department, Some("R&D")));
    assert!(packed.matches(Attr::DisplayName, Some("")));
    assert!(packed.matches(Attr::Title, None));
    assert!(!packed.matches(Attr::DisplayName, None));
    let mut b = a.clone();
    b.insert(Attr::Title, "x".into());
    assert!(!packed.holds(&b));
    b.remove(&Attr::Title);
    b.insert(Attr::Department, "R&D".into());
    assert!(!packed.holds(&b));
}

#[test]
fn entra_captured_forms_change_ops_and_values() {
    let changes = [EntraChange {
        attr: Attr::Title,
        present: true,
        value: "Boss".into(),
    }];
    let active = Some(ActiveChange {
        active: false,
        present: true,
    });
    let forms = [
        Form::EntraAddOnUpdate,
        Form::EntraActiveAdd,
        Form::EntraActiveLowercase,
    ];
    let body = entra_user_patch(
        false,
        Dialect::of(PersonaId::Entra, &forms),
        &changes,
        active,
    );
    assert_eq!(
        body["Operations"],
        json!([{"op":"Add","path":"title","value":"Boss"},
               {"op":"Add","path":"active","value":"false"}])
    );
    let ids = ["u1".to_owned()];
    let bare = Dialect::of(PersonaId::Entra, &[Form::EntraRemoveWithoutRef]);
    assert_eq!(
        entra_members_patch(false, bare, false, &ids)["Operations"],
        json!([{"op":"Remove","path":"members","value":[{"value":"u1"}]}])
    );
    let lower = Dialect::of(PersonaId::Entra, &[Form::EntraRemoveLowercase]);
    assert_eq!(
        entra_members_patch(false, lower, false, &ids)["Operations"],
        json!([{"op":"remove","path":"members","value":[{"value":"u1"}]}])
    );
}

#[test]
fn okta_captured_member_forms() {
    let m = [OktaMember {
        id: "u1".into(),
        display: "a@x".into(),
    }];
    assert_eq!(
        okta_members_replace(&m)["Operations"],
        json!([{"op":"replace","path":"members","value":[{"value":"u1","display":"a@x"}]}])
    );
    assert_eq!(
        okta_members_replace_pathless("g1", "G", &m)["Operations"],
        json!([{"op":"replace","value":{"members":[{"value":"u1","display":"a@x"}],"id":"g1","displayName":"G"}}])
    );
    assert_eq!(
        okta_group_put("G", &m, Some("g1")).to_string(),
        json!({"schemas":[GROUP_SCHEMA],"id":"g1","displayName":"G","members":[{"value":"u1","display":null}]}).to_string()
    );
}

#[test]
fn entra_default_mappings_go_into_the_create_and_filtered_paths() {
    let mut u = DirUser::new("0a21f0f2", "ida@example.com");
    u.profile.preferred_language = Some("en-GB".into());
    u.profile.business_phone = Some("+44 1".into());
    u.profile.mobile_phone = Some("+44 2".into());
    u.profile.office_location = Some("18/2111".into());
    let a = user_attrs(PersonaId::Entra, &u);
    let body = create_user_body(PersonaId::Entra, Dialect::DOCUMENTED, &a, "")
        .sent
        .value();
    assert_eq!(body["preferredLanguage"], "en-GB");
    assert_eq!(
        body["phoneNumbers"],
        json!([{"type":"work","value":"+44 1"},{"type":"mobile","value":"+44 2"}])
    );
    assert_eq!(
        body["addresses"],
        json!([{"formatted":"18/2111","type":"work"}])
    );
    // Okta and the rfc persona do not map them.
    assert!(!user_attrs(PersonaId::Okta, &u).contains_key(&Attr::WorkPhone));
    assert!(!user_attrs(PersonaId::Rfc, &u).contains_key(&Attr::Office));
    let current = json!({"phoneNumbers":[{"type":"Work","value":"+44 0"}]});
    assert_eq!(Attr::WorkPhone.read(&current).as_deref(), Some("+44 0"));
    assert_eq!(Attr::MobilePhone.read(&current), None);
    let changes = [EntraChange {
        attr: Attr::MobilePhone,
        present: false,
        value: "+44 2".into(),
    }];
    assert_eq!(
        entra_user_patch(true, Dialect::DOCUMENTED, &changes, None)["Operations"],
        json!([{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+44 2"}])
    );
}
