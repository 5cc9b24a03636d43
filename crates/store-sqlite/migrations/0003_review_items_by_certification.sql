-- Campaign-wide work on review items (clearing a generation, completion orders) goes through
-- the campaign's certifications and `review_items_certification`; the campaign index cost a
-- tenth of a generation's writes and is no longer read.
DROP INDEX review_items_campaign;
