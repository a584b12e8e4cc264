export * from './client-lookup';
export * from './client-metadata-document.error';
export * from './client-metadata-documents.service';
