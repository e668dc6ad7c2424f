//! The schema, kept by hand with types that mean the same on both backends (BigInt ids, Text for
//! codes, enums and JSON, Timestamp in UTC). It must match both migration trees.

diesel::table! {
    provinces_pre2025 (code) {
        code -> Text,
        name -> Text,
        full_name -> Text,
        unit_type -> Text,
        name_en -> Text,
        region -> Text,
        successor_code -> Text,
        search_key -> Text,
    }
}

diesel::table! {
    provinces_2025 (code) {
        code -> Text,
        name -> Text,
        full_name -> Text,
        unit_type -> Text,
        name_en -> Text,
        region -> Text,
        region_mixed -> Bool,
        search_key -> Text,
    }
}

diesel::table! {
    communes_2025 (code) {
        code -> Text,
        name -> Text,
        full_name -> Text,
        unit_type -> Text,
        province_code -> Text,
        name_en -> Text,
        search_key -> Text,
    }
}

diesel::table! {
    districts_pre2025 (code) {
        code -> Text,
        name -> Text,
        full_name -> Text,
        unit_type -> Text,
        province_code -> Text,
        successor_province_code -> Text,
        name_en -> Text,
        in_force_2025_06_30 -> Bool,
        search_key -> Text,
    }
}

diesel::table! {
    reference_data_versions (name) {
        name -> Text,
        checksum -> Text,
        loaded_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        province_code -> Nullable<Text>,
        commune_code -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        actor_username -> Nullable<Text>,
        entity_type -> Text,
        entity_id -> Text,
        action -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        request_id -> Nullable<Text>,
        province_code -> Nullable<Text>,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(communes_2025 -> provinces_2025 (province_code));

diesel::allow_tables_to_appear_in_same_query!(
    provinces_pre2025,
    provinces_2025,
    communes_2025,
    districts_pre2025,
    reference_data_versions,
    users,
    refresh_tokens,
    audit_events,
);
