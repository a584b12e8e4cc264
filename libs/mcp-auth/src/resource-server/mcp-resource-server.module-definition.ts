import { type ConfigurableModuleAsyncOptions, ConfigurableModuleBuilder } from '@nestjs/common';
import type {
  ResourceServerModuleExtras,
  ResourceServerModuleOptions,
} from './resource-server-options.interface';

export const {
  ConfigurableModuleClass: McpResourceServerModuleClass,
  MODULE_OPTIONS_TOKEN: RESOURCE_SERVER_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<ResourceServerModuleOptions>({
  moduleName: 'McpResourceServer',
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createResourceServerOptions')
  .setExtras<ResourceServerModuleExtras>(
    { isGlobal: false, extraProviders: [] },
    (definition, extras) => ({ ...definition, global: extras.isGlobal }),
  )
  .build();

/** Options of `McpResourceServerModule.forRoot()`, extras included. @publicApi */
export type ResourceServerModuleForRootOptions = ResourceServerModuleOptions &
  ResourceServerModuleExtras;
/** Options of `McpResourceServerModule.forRootAsync()`. @publicApi */
export type ResourceServerModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  ResourceServerModuleOptions,
  'createResourceServerOptions'
> &
  ResourceServerModuleExtras;
