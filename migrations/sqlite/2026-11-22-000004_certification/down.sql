DROP TABLE certificate_number_sequences;
DROP TABLE certificates;
DROP TABLE selection_scores;
DROP TABLE selection_entries;
DROP TABLE selection_round_judges;
DROP TABLE selection_rounds;
DROP TABLE products;
