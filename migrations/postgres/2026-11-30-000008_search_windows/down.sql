DROP INDEX search_documents_recent;
