PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE `user` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text,
	`email` text,
	`emailVerified` integer,
	`image` text
);
INSERT INTO user VALUES('31cc6eac-f97f-476f-b966-43063f18d575','Alice Owner','alice@example.test',NULL,NULL);
INSERT INTO user VALUES('d2f20ab8-47d8-4d6e-bdfe-4d2c75da1cc1','Bob Member','bob@example.test',NULL,NULL);
INSERT INTO user VALUES('66d9f416-3b91-4913-8375-fc7fd80d010b','Carol Nobody','carol@example.test',NULL,NULL);
CREATE TABLE `account` (
	`userId` text NOT NULL,
	`type` text NOT NULL,
	`provider` text NOT NULL,
	`providerAccountId` text NOT NULL,
	`refresh_token` text,
	`access_token` text,
	`expires_at` integer,
	`token_type` text,
	`scope` text,
	`id_token` text,
	`session_state` text,
	PRIMARY KEY(`provider`, `providerAccountId`),
	FOREIGN KEY (`userId`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
CREATE TABLE `session` (
	`sessionToken` text PRIMARY KEY NOT NULL,
	`userId` text NOT NULL,
	`expires` integer NOT NULL,
	FOREIGN KEY (`userId`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
INSERT INTO session VALUES('dz-v5-0b9f4c62-6a51-4c47-9b1e-2f6f3d1a7c01','31cc6eac-f97f-476f-b966-43063f18d575',4070908800000);
INSERT INTO session VALUES('dzv4a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8','31cc6eac-f97f-476f-b966-43063f18d575',4070908800000);
INSERT INTO session VALUES('dz-v5-7d3e9a10-1c2b-4e5f-8a9b-0c1d2e3f4a5b','d2f20ab8-47d8-4d6e-bdfe-4d2c75da1cc1',4070908800000);
INSERT INTO session VALUES('dz-v5-c4a7e2d9-5b6f-4a3c-9d8e-1f2a3b4c5d6e','66d9f416-3b91-4913-8375-fc7fd80d010b',4070908800000);
INSERT INTO session VALUES('dz-expired-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9','31cc6eac-f97f-476f-b966-43063f18d575',1577836800000);
CREATE TABLE `verificationToken` (
	`identifier` text NOT NULL,
	`token` text NOT NULL,
	`expires` integer NOT NULL,
	PRIMARY KEY(`identifier`, `token`)
);
CREATE TABLE `authenticator` (
	`credentialID` text NOT NULL,
	`userId` text NOT NULL,
	`providerAccountId` text NOT NULL,
	`credentialPublicKey` text NOT NULL,
	`counter` integer NOT NULL,
	`credentialDeviceType` text NOT NULL,
	`credentialBackedUp` integer NOT NULL,
	`transports` text,
	PRIMARY KEY(`userId`, `credentialID`),
	FOREIGN KEY (`userId`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
CREATE UNIQUE INDEX `user_email_unique` ON `user` (`email`);
CREATE UNIQUE INDEX `authenticator_credentialID_unique` ON `authenticator` (`credentialID`);
COMMIT;
