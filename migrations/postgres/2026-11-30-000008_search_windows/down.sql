DROP INDEX search_documents_id_brin;
