-- Listings answered from the mirror: a folder's children in path order.
-- The expression is the parent folder of path_lower with its trailing
-- slash ("/" at the top, "/a/" below /a). Queries repeat it exactly, so
-- that the index answers them.
CREATE INDEX mirror_entries_by_folder
	ON mirror_entries (connection_id, (regexp_replace(path_lower, '[^/]*$', '')), path_lower);
