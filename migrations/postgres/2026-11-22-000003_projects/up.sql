-- Activity types of industrial-promotion projects (NĐ 45/2012 Art. 4 as used in practice, with the
-- additions of NĐ 235/2025). A table, not an enumeration: the list evolves without a release.
CREATE TABLE activity_types (
    code TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO activity_types (code, name_vi, name_en, created_at, updated_at) VALUES
    ('vocational_training', 'Đào tạo nghề, truyền nghề', 'Vocational training and craft transfer', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('management_capacity', 'Tập huấn, hội thảo, tham quan, khởi sự doanh nghiệp', 'Management capacity: training, workshops, study tours, start-ups', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('demonstration_model', 'Mô hình trình diễn kỹ thuật', 'Technical demonstration model', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('machinery_application', 'Ứng dụng máy móc thiết bị tiên tiến', 'Application of advanced machinery and equipment', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('technology_transfer', 'Chuyển giao công nghệ', 'Technology transfer', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('cleaner_production', 'Sản xuất sạch hơn', 'Cleaner production', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('pollution_treatment', 'Xử lý ô nhiễm môi trường', 'Pollution treatment', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('product_development', 'Phát triển sản phẩm công nghiệp nông thôn tiêu biểu', 'Development of typical rural industrial products', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('trade_fair', 'Hội chợ, triển lãm', 'Trade fairs and exhibitions', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('showroom', 'Điểm giới thiệu, bán sản phẩm', 'Product showrooms', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('brand_registration', 'Đăng ký nhãn hiệu, xây dựng thương hiệu', 'Trademark registration and branding', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('consulting', 'Tư vấn', 'Consulting', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('information_communication', 'Thông tin tuyên truyền, cơ sở dữ liệu', 'Information, communication and databases', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('industrial_cluster_planning', 'Quy hoạch cụm công nghiệp', 'Industrial cluster planning', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('industrial_cluster_infrastructure', 'Hạ tầng cụm công nghiệp', 'Industrial cluster infrastructure', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('relocation', 'Di dời cơ sở gây ô nhiễm', 'Relocation of polluting establishments', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('business_association', 'Hiệp hội, cụm liên kết ngành', 'Business associations and linkage clusters', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('international_cooperation', 'Hợp tác quốc tế', 'International cooperation', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('system_capacity', 'Nâng cao năng lực hệ thống khuyến công', 'Capacity of the industrial-promotion system', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('sustainable_production', 'Sản xuất bền vững', 'Sustainable production', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('digital_transformation', 'Chuyển đổi số', 'Digital transformation', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('artisan_support', 'Hỗ trợ nghệ nhân', 'Support for artisans', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

-- Implementing units (đơn vị thực hiện): provincial centres, departments, the ministry's agency.
CREATE TABLE organizations (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    province_code TEXT REFERENCES provinces_2025 (code),
    address_line TEXT,
    contact_name TEXT,
    phone TEXT,
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX organizations_province ON organizations (province_code, id);

-- Support caps (policy): versioned by validity dates; local caps name their province.
CREATE TABLE support_caps (
    id BIGSERIAL PRIMARY KEY,
    legal_basis TEXT NOT NULL,
    funding_source TEXT NOT NULL,
    activity_type TEXT NOT NULL REFERENCES activity_types (code),
    province_code TEXT REFERENCES provinces_2025 (code),
    max_share_percent BIGINT,
    max_amount_vnd BIGINT,
    ceiling_basis TEXT NOT NULL,
    production_line_multiplier_percent BIGINT,
    priority_multiplier_percent BIGINT,
    valid_from DATE NOT NULL,
    valid_to DATE,
    note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX support_caps_lookup ON support_caps (funding_source, activity_type, province_code, valid_from);
-- National caps of Thông tư 28/2018/TT-BTC (in force 12/05/2018).
INSERT INTO support_caps (legal_basis, funding_source, activity_type, province_code, max_share_percent, max_amount_vnd, ceiling_basis, production_line_multiplier_percent, priority_multiplier_percent, valid_from, note, created_at) VALUES
    ('Thông tư 28/2018/TT-BTC', 'national', 'demonstration_model', NULL, 30, 1000000000, 'project', NULL, 150, '2018-05-12', 'Mô hình trình diễn kỹ thuật: tối đa 30% chi phí, không quá 1 tỷ đồng/mô hình', CURRENT_TIMESTAMP),
    ('Thông tư 28/2018/TT-BTC', 'national', 'machinery_application', NULL, 50, 300000000, 'beneficiary', 150, 150, '2018-05-12', 'Ứng dụng máy móc thiết bị: tối đa 50% chi phí, không quá 300 triệu đồng/cơ sở; dây chuyền công nghệ hoàn chỉnh ×1,5', CURRENT_TIMESTAMP),
    ('Thông tư 28/2018/TT-BTC', 'national', 'industrial_cluster_infrastructure', NULL, NULL, 6000000000, 'project', NULL, 150, '2018-05-12', 'Hạ tầng cụm công nghiệp: không quá 6 tỷ đồng/cụm', CURRENT_TIMESTAMP);

-- Programmes (chương trình khuyến công) and their targets per province and activity type.
CREATE TABLE programmes (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    province_code TEXT REFERENCES provinces_2025 (code),
    start_year BIGINT NOT NULL,
    end_year BIGINT NOT NULL,
    legal_basis TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX programmes_code ON programmes (code, level, COALESCE(province_code, ''));

CREATE TABLE programme_targets (
    id BIGSERIAL PRIMARY KEY,
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    province_code TEXT NOT NULL REFERENCES provinces_2025 (code),
    activity_type TEXT NOT NULL REFERENCES activity_types (code),
    target_count BIGINT,
    target_amount_vnd BIGINT,
    UNIQUE (programme_id, province_code, activity_type)
);

-- Projects (đề án khuyến công). The approved budget lines are the current version; every earlier
-- version is in project_budget_versions.
CREATE TABLE projects (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT,
    activity_type TEXT NOT NULL REFERENCES activity_types (code),
    funding_source TEXT NOT NULL,
    plan_year BIGINT NOT NULL,
    province_code TEXT NOT NULL REFERENCES provinces_2025 (code),
    commune_code TEXT REFERENCES communes_2025 (code),
    recorded_province_code_pre2025 TEXT REFERENCES provinces_pre2025 (code),
    recorded_district_code_pre2025 TEXT REFERENCES districts_pre2025 (code),
    implementing_unit_id BIGINT NOT NULL REFERENCES organizations (id),
    planned_start DATE,
    planned_end DATE,
    complete_production_line BOOLEAN NOT NULL DEFAULT FALSE,
    priority_area BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL,
    budget_national_vnd BIGINT NOT NULL DEFAULT 0,
    budget_local_vnd BIGINT NOT NULL DEFAULT 0,
    budget_counterpart_vnd BIGINT NOT NULL DEFAULT 0,
    budget_other_vnd BIGINT NOT NULL DEFAULT 0,
    budget_version BIGINT NOT NULL DEFAULT 0,
    -- A ministry override of the support cap holds for the budget version it was given for.
    cap_override_reason TEXT,
    cap_override_budget_version BIGINT,
    search_key TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX projects_code ON projects (code);
CREATE INDEX projects_province ON projects (province_code, plan_year, id);
CREATE INDEX projects_recorded_province ON projects (recorded_province_code_pre2025, plan_year, id);
CREATE INDEX projects_status ON projects (status, id);
CREATE INDEX projects_implementing_unit ON projects (implementing_unit_id, id);

-- The last sequence number given per code prefix (funding source, plan year, province).
CREATE TABLE project_code_sequences (
    prefix TEXT PRIMARY KEY,
    last_value BIGINT NOT NULL
);

CREATE TABLE project_beneficiaries (
    project_id BIGINT NOT NULL REFERENCES projects (id),
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    role TEXT NOT NULL,
    PRIMARY KEY (project_id, beneficiary_id)
);
CREATE INDEX project_beneficiaries_beneficiary ON project_beneficiaries (beneficiary_id, project_id);

-- Every step of a project's life: creation, transitions, budget settings and adjustments.
CREATE TABLE project_history (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    kind TEXT NOT NULL,
    action TEXT,
    from_status TEXT,
    to_status TEXT,
    decision_number TEXT,
    decision_date DATE,
    note TEXT,
    override_reason TEXT,
    budget_version BIGINT,
    actor_user_id BIGINT,
    actor_username TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX project_history_project ON project_history (project_id, id);

CREATE TABLE project_budget_versions (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    budget_version BIGINT NOT NULL,
    national_vnd BIGINT NOT NULL,
    local_vnd BIGINT NOT NULL,
    counterpart_vnd BIGINT NOT NULL,
    other_vnd BIGINT NOT NULL,
    kind TEXT NOT NULL,
    decision_number TEXT,
    decision_date DATE,
    reason TEXT,
    actor_username TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (project_id, budget_version)
);

-- Money movements. Amounts are positive; a refund reduces the net.
CREATE TABLE project_disbursements (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    amount_vnd BIGINT NOT NULL,
    date DATE NOT NULL,
    document_number TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX project_disbursements_project ON project_disbursements (project_id, id);

CREATE TABLE project_indicators (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    code TEXT NOT NULL,
    unit TEXT NOT NULL,
    baseline BIGINT,
    target BIGINT,
    actual BIGINT,
    UNIQUE (project_id, code)
);
