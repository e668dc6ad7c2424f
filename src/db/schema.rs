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
        token_generation -> BigInt,
    }
}

diesel::table! {
    integration_clients (user_id) {
        user_id -> BigInt,
        scopes -> Text,
        contact -> Nullable<Text>,
        secret_hash -> Text,
        previous_secret_hash -> Nullable<Text>,
        previous_secret_valid_until -> Nullable<Timestamp>,
        secret_rotated_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (caller, idempotency_key) {
        caller -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        state -> Text,
        status -> Nullable<Integer>,
        headers -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
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

diesel::table! {
    beneficiaries (id) {
        id -> BigInt,
        name -> Text,
        legal_form -> Text,
        identifier_type -> Text,
        identifier_value -> Nullable<Text>,
        representative_name -> Nullable<Text>,
        address_line -> Nullable<Text>,
        province_code -> Text,
        commune_code -> Nullable<Text>,
        recorded_province_code_pre2025 -> Nullable<Text>,
        recorded_district_code_pre2025 -> Nullable<Text>,
        main_sector_vsic -> Nullable<Text>,
        size_class -> Nullable<Text>,
        employees -> Nullable<BigInt>,
        founding_year -> Nullable<BigInt>,
        in_craft_village -> Bool,
        craft_village_name -> Nullable<Text>,
        women_owned -> Bool,
        ethnic_minority_owned -> Bool,
        disadvantaged_area -> Bool,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        website -> Nullable<Text>,
        status -> Text,
        merged_into_id -> Nullable<BigInt>,
        search_key -> Text,
        name_key -> Text,
        phone_key -> Nullable<Text>,
        representative_phone_key -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    beneficiary_personal_data (beneficiary_id) {
        beneficiary_id -> BigInt,
        representative_phone -> Nullable<Text>,
        representative_national_id -> Nullable<Text>,
        household_owner_name -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    beneficiary_annual_figures (id) {
        id -> BigInt,
        beneficiary_id -> BigInt,
        year -> BigInt,
        revenue_vnd -> Nullable<BigInt>,
        employees -> Nullable<BigInt>,
        average_income_vnd -> Nullable<BigInt>,
        total_assets_vnd -> Nullable<BigInt>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    activity_types (code) {
        code -> Text,
        name_vi -> Text,
        name_en -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        province_code -> Nullable<Text>,
        address_line -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    support_caps (id) {
        id -> BigInt,
        legal_basis -> Text,
        funding_source -> Text,
        activity_type -> Text,
        province_code -> Nullable<Text>,
        max_share_percent -> Nullable<BigInt>,
        max_amount_vnd -> Nullable<BigInt>,
        ceiling_basis -> Text,
        production_line_multiplier_percent -> Nullable<BigInt>,
        priority_multiplier_percent -> Nullable<BigInt>,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    programmes (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        level -> Text,
        province_code -> Nullable<Text>,
        start_year -> BigInt,
        end_year -> BigInt,
        legal_basis -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    programme_targets (id) {
        id -> BigInt,
        programme_id -> BigInt,
        province_code -> Text,
        activity_type -> Text,
        target_count -> Nullable<BigInt>,
        target_amount_vnd -> Nullable<BigInt>,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        code -> Text,
        title -> Text,
        summary -> Nullable<Text>,
        activity_type -> Text,
        funding_source -> Text,
        plan_year -> BigInt,
        province_code -> Text,
        commune_code -> Nullable<Text>,
        recorded_province_code_pre2025 -> Nullable<Text>,
        recorded_district_code_pre2025 -> Nullable<Text>,
        implementing_unit_id -> BigInt,
        planned_start -> Nullable<Date>,
        planned_end -> Nullable<Date>,
        complete_production_line -> Bool,
        priority_area -> Bool,
        status -> Text,
        budget_national_vnd -> BigInt,
        budget_local_vnd -> BigInt,
        budget_counterpart_vnd -> BigInt,
        budget_other_vnd -> BigInt,
        budget_version -> BigInt,
        cap_override_reason -> Nullable<Text>,
        cap_override_budget_version -> Nullable<BigInt>,
        search_key -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    project_code_sequences (prefix) {
        prefix -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    project_beneficiaries (project_id, beneficiary_id) {
        project_id -> BigInt,
        beneficiary_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    project_history (id) {
        id -> BigInt,
        project_id -> BigInt,
        kind -> Text,
        action -> Nullable<Text>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        decision_number -> Nullable<Text>,
        decision_date -> Nullable<Date>,
        note -> Nullable<Text>,
        override_reason -> Nullable<Text>,
        budget_version -> Nullable<BigInt>,
        actor_user_id -> Nullable<BigInt>,
        actor_username -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    project_budget_versions (id) {
        id -> BigInt,
        project_id -> BigInt,
        budget_version -> BigInt,
        national_vnd -> BigInt,
        local_vnd -> BigInt,
        counterpart_vnd -> BigInt,
        other_vnd -> BigInt,
        kind -> Text,
        decision_number -> Nullable<Text>,
        decision_date -> Nullable<Date>,
        reason -> Nullable<Text>,
        actor_username -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    project_disbursements (id) {
        id -> BigInt,
        project_id -> BigInt,
        kind -> Text,
        source -> Text,
        amount_vnd -> BigInt,
        date -> Date,
        document_number -> Text,
        note -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    project_indicators (id) {
        id -> BigInt,
        project_id -> BigInt,
        code -> Text,
        unit -> Text,
        baseline -> Nullable<BigInt>,
        target -> Nullable<BigInt>,
        actual -> Nullable<BigInt>,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        beneficiary_id -> BigInt,
        name -> Text,
        product_group -> Text,
        is_set -> Bool,
        description -> Nullable<Text>,
        quality_standards_json -> Text,
        awards_json -> Text,
        photos_json -> Text,
        search_key -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    selection_rounds (id) {
        id -> BigInt,
        level -> Text,
        year -> BigInt,
        era -> Text,
        title -> Text,
        commune_code -> Nullable<Text>,
        district_code -> Nullable<Text>,
        province_code -> Nullable<Text>,
        region_code -> Nullable<Text>,
        owner_province_code -> Nullable<Text>,
        decision_number -> Nullable<Text>,
        decision_date -> Nullable<Date>,
        lower_level_round_not_held -> Bool,
        qualifying_score -> BigInt,
        status -> Text,
        recognition_decision_number -> Nullable<Text>,
        recognition_decision_date -> Nullable<Date>,
        published_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    selection_round_judges (round_id, user_id) {
        round_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    selection_entries (id) {
        id -> BigInt,
        round_id -> BigInt,
        product_id -> BigInt,
        beneficiary_id -> BigInt,
        basis_certificate_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    selection_scores (entry_id, judge_user_id) {
        entry_id -> BigInt,
        judge_user_id -> BigInt,
        market -> BigInt,
        economic_technical_social_environmental -> BigInt,
        cultural_aesthetic -> BigInt,
        other -> BigInt,
        total -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    certificates (id) {
        id -> BigInt,
        number -> Text,
        level -> Text,
        year -> BigInt,
        era -> Text,
        scope_code -> Text,
        round_id -> Nullable<BigInt>,
        entry_id -> Nullable<BigInt>,
        product_id -> BigInt,
        beneficiary_id -> BigInt,
        province_code -> Text,
        region_code -> Text,
        decision_number -> Text,
        issued_on -> Date,
        valid_until -> Date,
        legacy -> Bool,
        revoked_at -> Nullable<Timestamp>,
        revocation_reason -> Nullable<Text>,
        revocation_decision_number -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    certificate_number_sequences (prefix) {
        prefix -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        position -> Nullable<BigInt>,
        event_type -> Text,
        occurred_at -> Timestamp,
        entity_type -> Text,
        entity_id -> Text,
        province_code -> Nullable<Text>,
        payload -> Text,
        personal_data -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> BigInt,
        owner_user_id -> BigInt,
        url -> Text,
        description -> Nullable<Text>,
        event_types -> Text,
        secret -> Text,
        province_code -> Nullable<Text>,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        event_id -> BigInt,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> Timestamp,
        duration_ms -> BigInt,
        status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    imports (id) {
        id -> BigInt,
        kind -> Text,
        dry_run -> Bool,
        file_sha256 -> Text,
        file_format -> Text,
        file_bytes -> BigInt,
        state -> Text,
        rows_total -> Nullable<BigInt>,
        rows_done -> BigInt,
        findings -> Nullable<Text>,
        failure -> Nullable<Text>,
        requested_by_user_id -> Nullable<BigInt>,
        requested_by -> Text,
        province_code -> Nullable<Text>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_deliveries -> events (event_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(webhook_subscriptions -> users (owner_user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(integration_clients -> users (user_id));
diesel::joinable!(beneficiary_annual_figures -> beneficiaries (beneficiary_id));
diesel::joinable!(beneficiary_personal_data -> beneficiaries (beneficiary_id));
diesel::joinable!(communes_2025 -> provinces_2025 (province_code));
diesel::joinable!(project_beneficiaries -> projects (project_id));
diesel::joinable!(project_beneficiaries -> beneficiaries (beneficiary_id));
diesel::joinable!(projects -> organizations (implementing_unit_id));
diesel::joinable!(products -> beneficiaries (beneficiary_id));
diesel::joinable!(selection_entries -> selection_rounds (round_id));
diesel::joinable!(selection_entries -> products (product_id));
diesel::joinable!(selection_round_judges -> users (user_id));
diesel::joinable!(selection_scores -> selection_entries (entry_id));
diesel::joinable!(certificates -> products (product_id));

diesel::allow_tables_to_appear_in_same_query!(
    imports,
    events,
    webhook_subscriptions,
    webhook_deliveries,
    webhook_attempts,
    provinces_pre2025,
    provinces_2025,
    communes_2025,
    districts_pre2025,
    reference_data_versions,
    users,
    integration_clients,
    idempotency_keys,
    refresh_tokens,
    audit_events,
    beneficiaries,
    beneficiary_personal_data,
    beneficiary_annual_figures,
    activity_types,
    organizations,
    support_caps,
    programmes,
    programme_targets,
    projects,
    project_code_sequences,
    project_beneficiaries,
    project_history,
    project_budget_versions,
    project_disbursements,
    project_indicators,
    products,
    selection_rounds,
    selection_round_judges,
    selection_entries,
    selection_scores,
    certificates,
    certificate_number_sequences,
);
