// The interactive API documentation (/api/v1/docs): Swagger UI on ecowatch's own OpenAPI document.
// "Authorize" takes a bearer token from POST /api/v1/auth/token.  validatorUrl null: Swagger UI would
// otherwise send the document to validator.swagger.io, and nothing may leave the user's network.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
  });
});
