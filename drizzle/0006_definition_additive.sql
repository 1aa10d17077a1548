ALTER TABLE "kpi_definitions" ADD COLUMN "additive" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Definitions saved before the column: counts and money add up (as additiveUnit decides for new ones).
UPDATE "kpi_definitions" SET "additive" = true
WHERE lower(trim("unit")) IN ('count', 'currency', '$', '€', '£', '¥')
  OR upper(trim("unit")) IN ('EUR', 'USD', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'NZD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'HUF', 'INR', 'CNY', 'HKD', 'SGD', 'BRL', 'MXN', 'ZAR');
