DROP TABLE beneficiary_annual_figures;
DROP TABLE beneficiary_personal_data;
DROP TABLE beneficiaries;
