/**
 * Start Swagger UI (loaded from the installed package by docs.html) on our OpenAPI schema.
 */
const root = document.getElementById("swagger-ui");
/** @type {any} */ (window).SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  deepLinking: true,
});
