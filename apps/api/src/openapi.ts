import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** The OpenAPI description, generated from the controllers at boot; UI at /docs, JSON at /docs-json. */
export function mountOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Usage metering API')
    .setDescription(
      'Usage projections, prices, invoices, organizations, members and tokens. Authenticate with `Authorization: Bearer <token>`: ' +
        'a member token reads its own organization per its role (viewer, billing, admin); the operator token reads everything. ' +
        'Errors are RFC 9457 problem details. Money and quantities are decimal strings.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
