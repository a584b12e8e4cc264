import {
  type ConfigurableModuleAsyncOptions,
  ConfigurableModuleBuilder,
  type Provider,
} from '@nestjs/common';
import type { McpAuthModuleOptions } from './mcp-auth-options.interface';

/** Settings that shape the module itself, so they must be known before any factory runs. */
export interface McpAuthModuleExtras {
  /** Make the exported services (guard, authorization service) visible app-wide. Default false. */
  isGlobal?: boolean;
  /** Name of the host's TypeORM DataSource the stores use. Default: the default DataSource. */
  dataSource?: string;
  /** Providers added to the module; use them to replace a store (`{ provide: ClientStore, useClass }`). */
  extraProviders?: Provider[];
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: MCP_AUTH_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<McpAuthModuleOptions>({ moduleName: 'McpAuth' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createMcpAuthOptions')
    .setExtras<McpAuthModuleExtras>(
      { isGlobal: false, dataSource: undefined, extraProviders: [] },
      (definition, extras) => ({ ...definition, global: extras.isGlobal }),
    )
    .build();

/** Options of `McpAuthModule.forRoot()`, extras included. @publicApi */
export type McpAuthModuleForRootOptions = McpAuthModuleOptions & McpAuthModuleExtras;
/** Options of `McpAuthModule.forRootAsync()`. @publicApi */
export type McpAuthModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  McpAuthModuleOptions,
  'createMcpAuthOptions'
> &
  McpAuthModuleExtras & {
    /**
     * Mount the administration API: required when the factory's options set `administration`
     * (routes are fixed before the factory runs). Mounted with options that leave it out, it
     * answers 404 (OAuth-shaped). Default false: nothing is mounted.
     */
    administration?: boolean;
  };
