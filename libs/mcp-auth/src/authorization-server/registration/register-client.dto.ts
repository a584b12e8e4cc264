import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsDefined,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { MAX_REDIRECT_URI_LENGTH } from '../../oauth/redirect-uri';
import type { TokenEndpointAuthMethod } from '../../storage/client-store.interface';
import { IsPublicJwks, IsSafeText, IsWebUri } from './client-metadata.constraints';
import {
  APPLICATION_TYPES,
  MACHINE_GRANT_TYPES,
  SUPPORTED_GRANT_TYPES,
  SUPPORTED_RESPONSE_TYPES,
  SUPPORTED_TOKEN_ENDPOINT_AUTH_METHODS,
  type ApplicationType,
  type PublicJwks,
} from './client-metadata.interface';

/** Real clients register one to a handful; more is abuse or a mistake. */
export const MAX_REDIRECT_URIS = 20;
export const MAX_CLIENT_NAME_LENGTH = 200;
export const MAX_SCOPE_LENGTH = 2000;
export const MAX_CONTACTS = 10;
/** RFC 5321 caps an address at 254 octets; a little slack for `mailto:` and the like. */
export const MAX_CONTACT_LENGTH = 320;
export const MAX_SOFTWARE_FIELD_LENGTH = 255;
const MAX_LIST_LENGTH = 10;

/**
 * The RFC 7591 §2 members this server understands, with their shape rules. Only these members
 * are copied from a request (see `validateClientMetadata`): anything else is ignored, neither
 * stored nor echoed (RFC 7591 §2: unknown metadata is ignored; AS-18). Rules that involve
 * several members or the configuration are checked after this DTO passes.
 */
export class RegisterClientDto {
  // Decorators run bottom-up, so the most basic check of each member sits closest to it and
  // its message comes first.
  @MaxLength(MAX_REDIRECT_URI_LENGTH, { each: true })
  @IsString({ each: true })
  @ArrayMaxSize(MAX_REDIRECT_URIS)
  @ArrayNotEmpty()
  @IsArray()
  @IsDefined({ message: 'redirect_uris is required' })
  // A client of machine grants only (client_credentials, jwt-bearer) has no browser to send back.
  @ValidateIf((dto: RegisterClientDto) => dto.redirect_uris !== undefined || !isMachineOnly(dto))
  redirect_uris!: string[];

  @IsIn(SUPPORTED_TOKEN_ENDPOINT_AUTH_METHODS)
  @IsOptional()
  token_endpoint_auth_method?: TokenEndpointAuthMethod;

  @IsIn(SUPPORTED_GRANT_TYPES, { each: true })
  @ArrayMaxSize(MAX_LIST_LENGTH)
  @ArrayNotEmpty()
  @IsArray()
  @IsOptional()
  grant_types?: string[];

  @IsIn(SUPPORTED_RESPONSE_TYPES, { each: true })
  @ArrayMaxSize(MAX_LIST_LENGTH)
  @ArrayNotEmpty()
  @IsArray()
  @IsOptional()
  response_types?: string[];

  @IsIn(APPLICATION_TYPES)
  @IsOptional()
  application_type?: ApplicationType;

  @IsSafeText()
  @MaxLength(MAX_SCOPE_LENGTH)
  @IsString()
  @IsOptional()
  scope?: string;

  @IsSafeText()
  @MaxLength(MAX_CLIENT_NAME_LENGTH)
  @IsString()
  @IsOptional()
  client_name?: string;

  @IsWebUri()
  @IsString()
  @IsOptional()
  client_uri?: string;

  @IsWebUri()
  @IsString()
  @IsOptional()
  logo_uri?: string;

  @IsWebUri()
  @IsString()
  @IsOptional()
  tos_uri?: string;

  @IsWebUri()
  @IsString()
  @IsOptional()
  policy_uri?: string;

  @IsSafeText({ each: true })
  @MaxLength(MAX_CONTACT_LENGTH, { each: true })
  @IsString({ each: true })
  @ArrayMaxSize(MAX_CONTACTS)
  @IsArray()
  @IsOptional()
  contacts?: string[];

  @IsSafeText()
  @MaxLength(MAX_SOFTWARE_FIELD_LENGTH)
  @IsString()
  @IsOptional()
  software_id?: string;

  @IsSafeText()
  @MaxLength(MAX_SOFTWARE_FIELD_LENGTH)
  @IsString()
  @IsOptional()
  software_version?: string;

  @IsPublicJwks()
  @IsOptional()
  jwks?: PublicJwks;

  @IsWebUri()
  @IsString()
  @IsOptional()
  jwks_uri?: string;
}

/** Whether the client registers only grants used without a browser (no redirect URI). */
export function isMachineOnly(dto: Pick<RegisterClientDto, 'grant_types'>): boolean {
  return (
    Array.isArray(dto.grant_types) &&
    dto.grant_types.some((grant) => MACHINE_GRANT_TYPES.includes(grant)) &&
    dto.grant_types.every(
      (grant) => MACHINE_GRANT_TYPES.includes(grant) || grant === 'refresh_token',
    )
  );
}

/** Every member {@link RegisterClientDto} reads, in the order errors are reported. */
export const REGISTER_CLIENT_MEMBERS = [
  'application_type',
  'redirect_uris',
  'token_endpoint_auth_method',
  'grant_types',
  'response_types',
  'scope',
  'client_name',
  'client_uri',
  'logo_uri',
  'tos_uri',
  'policy_uri',
  'contacts',
  'software_id',
  'software_version',
  'jwks',
  'jwks_uri',
] as const satisfies readonly (keyof RegisterClientDto)[];
