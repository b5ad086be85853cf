/**
 * Start Swagger UI (loaded from the installed package by docs.html) on our OpenAPI schema.
 */
import { byId } from "./dom.js";

const root = byId("swagger-ui");
SwaggerUIBundle({ url: String(root.dataset.openapiUrl), domNode: root, deepLinking: true });
