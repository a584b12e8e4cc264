/** Token of the validated {@link AppConfig} inside the sample application. */
export const APP_CONFIG = Symbol('AppConfig');

/** The sample's name on its pages (landing, login, consent) and in its resource metadata. */
export const SERVICE_NAME = 'Sample MCP server';
