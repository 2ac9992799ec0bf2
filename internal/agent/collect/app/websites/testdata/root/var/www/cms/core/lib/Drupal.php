<?php

/**
 * @file
 * Contains \Drupal.
 */

class Drupal {

  /**
   * The current system version.
   */
  const VERSION = '10.1.6';
