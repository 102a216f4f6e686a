-- Bad rows by day and type, with an example error of each: what failed the contract (or could not be read) and why.
-- Input: {{BAD_ROWS()}} — locally the bad zone of --from … --to; on Athena the bad-rows table.
SELECT substr(failed_at, 1, 10) AS day, type, count(*) AS rows, min({{FIRST_ERROR()}}) AS example_error
FROM {{BAD_ROWS()}}
GROUP BY substr(failed_at, 1, 10), type
ORDER BY day, type
