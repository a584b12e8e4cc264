/** Token of the validated {@link AppConfig} inside the sample application. */
export const APP_CONFIG = Symbol('AppConfig');
